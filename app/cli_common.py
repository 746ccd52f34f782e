"""What every command shares: the common options, secret files, opening an install."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from app.errors import ValidationError
from app.paths import DataPaths, default_demo_dir, default_school_dir
from app.settings import load_settings

if TYPE_CHECKING:
    from app.services.console import Console
    from app.services.users import UserSession

T = TypeVar("T")


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="the install's folder (default: your user data folder)")
    p.add_argument("--key-mode", choices=("keyring", "passphrase"), default=argparse.SUPPRESS,
                   help="for new installs: keep the install key in the OS keyring (default) "
                        "or behind a passphrase")
    p.add_argument("--passphrase-file", type=Path, default=argparse.SUPPRESS,
                   help="file holding the install passphrase (passphrase mode)")


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def read_secret(path: Path, what: str) -> str:
    """First line of a secret file; refuses missing, empty or huge files with a sentence."""
    try:
        if path.stat().st_size > 4096:
            raise ValidationError(f"The {what} file {path} is too large to be a {what}.")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Cannot read the {what} file {path} ({exc}).") from None
    line = text.splitlines()[0] if text.strip() else ""
    if not line:
        raise ValidationError(f"The {what} file {path} is empty.")
    return line


def data_dir(args: argparse.Namespace, demo: bool = False) -> Path:
    given = getattr(args, "data_dir", None)
    if given is not None:
        return Path(given)
    return default_demo_dir() if demo else default_school_dir()


def passphrase(args: argparse.Namespace) -> str | None:
    path = getattr(args, "passphrase_file", None)
    return read_secret(path, "passphrase") if path else None


def key_mode(args: argparse.Namespace) -> str:
    return str(getattr(args, "key_mode", "keyring"))


def open_console(args: argparse.Namespace, root: Path) -> Console:
    """Open an existing install (a demo in passphrase mode needs no passphrase file)."""
    from app.services.demo_school import passphrase_for
    from app.services.install import open_install

    if not DataPaths(root).is_initialised():
        return open_install(root)  # raises the one-line "no install here" error
    settings = load_settings(DataPaths(root).settings)
    return open_install(root, passphrase_for(settings, passphrase(args)))


def sign_in(args: argparse.Namespace, console: Console) -> UserSession:
    """The staff member an IT script acts as: `--user NAME --password-file F` (audited as them)."""
    from app.services import users

    if not getattr(args, "user", None) or not getattr(args, "password_file", None):
        raise ValidationError("Sign in for this command with --user NAME --password-file FILE.")
    return users.login(console, args.user, read_secret(args.password_file, "password"))


def as_staff(args: argparse.Namespace, act: Callable[[Console, UserSession], T]) -> T:
    """Open the install, sign in as `--user`, act, and close again."""
    console = open_console(args, data_dir(args))
    try:
        return act(console, sign_in(args, console))
    finally:
        console.close()


def add_sign_in(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="act as this staff member (the audit log names them)")
    p.add_argument("--password-file", type=Path, help="file holding that user's password")

