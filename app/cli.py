"""Command-line interface (DESIGN §12): argument parsing and dispatch, nothing else.

Every command takes `--data-dir`; every error is one line on stderr and a non-zero exit.
Secrets (passwords, passphrases, recovery keys) are read from files named on the command line,
never from arguments that would show up in a process list or shell history.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import KestrelError, ValidationError
from app.paths import DataPaths, default_demo_dir, default_school_dir
from app.settings import load_settings

if TYPE_CHECKING:
    from app.services.console import Console

log = logging.getLogger("kestrel")


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KestrelError as exc:
        print(f"kestrel: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kestrel: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Kestrel safeguarding console.")
    parser.set_defaults(handler=_cmd_gui, demo=False)
    _common(parser)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the console (the default)")
    _common(gui)
    _gui_options(gui)
    gui.set_defaults(handler=_cmd_gui)

    demo = sub.add_parser("demo", help="open the console on the synthetic demo school")
    _common(demo)
    _gui_options(demo)
    demo.set_defaults(handler=_cmd_gui, demo=True)

    init = sub.add_parser("init", help="set up a school without the GUI (for IT scripts)")
    _common(init)
    init.add_argument("--school", required=True, help="the school's name")
    init.add_argument("--dsl-user", required=True, help="user name of the first DSL")
    init.add_argument("--dsl-name", help="the DSL's full name (default: the user name)")
    init.add_argument("--password-file", required=True, type=Path,
                      help="file holding the DSL's password (first line)")
    init.add_argument("--recovery-key-out", type=Path,
                      help="write the recovery key here (owner-only) instead of printing it")
    init.set_defaults(handler=_cmd_init)

    seed = sub.add_parser("seed", help="add synthetic incidents (a fresh folder becomes the "
                                       "demo school)")
    _common(seed)
    seed.add_argument("--incidents", type=_positive, required=True)
    seed.add_argument("--screenshots", type=_non_negative, default=0)
    seed.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    seed.add_argument("--workers", type=_non_negative, default=None,
                      help="sealing processes (default: one per core)")
    seed.set_defaults(handler=_cmd_seed)

    verify = sub.add_parser("verify", help="check the audit chain, checkpoints and evidence")
    _common(verify)
    verify.set_defaults(handler=_cmd_verify)

    library = sub.add_parser("library", help="the phrase library")
    _common(library)
    library_sub = library.add_subparsers(title="library commands", metavar="ACTION")
    library_test = library_sub.add_parser(
        "test", help="read lines on stdin; print one JSON object per line with its matches")
    _common(library_test)
    library_test.add_argument("--library", type=Path, default=None,
                              help="a library folder or one <category>.csv file "
                                   "(default: the built-in library)")
    library_test.set_defaults(handler=_cmd_library_test)
    library.set_defaults(handler=lambda _args: _usage(library))

    agent = sub.add_parser("agent", help="the device agent's tools")
    _common(agent)
    agent_sub = agent.add_subparsers(title="agent commands", metavar="ACTION")
    scan = agent_sub.add_parser("scan-image", help="OCR a screenshot and print the words and "
                                                   "matches (with boxes) as JSON")
    _common(scan)
    scan.add_argument("image", type=Path)
    scan.add_argument("--ocr", choices=("rapidocr", "tesseract"), default="rapidocr")
    scan.add_argument("--library", type=Path, default=None,
                      help="a library folder or one <category>.csv file")
    scan.set_defaults(handler=_cmd_scan_image)
    agent.set_defaults(handler=lambda _args: _usage(agent))

    recover = sub.add_parser("recover", help="restore access with the printed recovery key")
    _common(recover)
    recover.add_argument("--recovery-key-file", type=Path,
                         help="file holding the recovery key (default: ask)")
    recover.set_defaults(handler=_cmd_recover)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="the install's folder (default: your user data folder)")
    p.add_argument("--key-mode", choices=("keyring", "passphrase"), default=argparse.SUPPRESS,
                   help="for new installs: keep the install key in the OS keyring (default) "
                        "or behind a passphrase")
    p.add_argument("--passphrase-file", type=Path, default=argparse.SUPPRESS,
                   help="file holding the install passphrase (passphrase mode)")


def _gui_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="sign in as this user (with --password-file)")
    p.add_argument("--password-file", type=Path, help="file holding the password for --user")
    p.add_argument("--exit-when-ready", action="store_true",
                   help="quit once the main window is ready (smoke tests)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _non_negative(text: str) -> int:
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


def _data_dir(args: argparse.Namespace, demo: bool = False) -> Path:
    given = getattr(args, "data_dir", None)
    if given is not None:
        return Path(given)
    return default_demo_dir() if demo else default_school_dir()


def _passphrase(args: argparse.Namespace) -> str | None:
    path = getattr(args, "passphrase_file", None)
    return read_secret(path, "passphrase") if path else None


def _key_mode(args: argparse.Namespace) -> str:
    return str(getattr(args, "key_mode", "keyring"))


def _open(args: argparse.Namespace, root: Path) -> Console:
    """Open an existing install (a demo in passphrase mode needs no passphrase file)."""
    from app.services.demo_school import passphrase_for
    from app.services.install import open_install

    if not DataPaths(root).is_initialised():
        return open_install(root)  # raises the one-line "no install here" error
    settings = load_settings(DataPaths(root).settings)
    return open_install(root, passphrase_for(settings, _passphrase(args)))


def _cmd_gui(args: argparse.Namespace) -> int:
    from app.ui.app import run_console  # Qt loads only for GUI commands

    password = read_secret(args.password_file, "password") if getattr(
        args, "password_file", None) else None
    root = getattr(args, "data_dir", None)
    return int(run_console(Path(root) if root else None, demo=args.demo,
                       username=getattr(args, "user", None), password=password,
                       exit_when_ready=getattr(args, "exit_when_ready", False),
                       passphrase=_passphrase(args)))


def _cmd_init(args: argparse.Namespace) -> int:
    from app.services.install import create_install

    password = read_secret(args.password_file, "password")
    console, recovery = create_install(
        _data_dir(args), args.school, args.dsl_user, args.dsl_name or args.dsl_user, password,
        key_mode=_key_mode(args), passphrase=_passphrase(args))
    console.close()
    if args.recovery_key_out:
        fd = os.open(args.recovery_key_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(recovery + "\n")
        print(f"Kestrel is set up in {_data_dir(args)}. Recovery key written to "
              f"{args.recovery_key_out}: print it, keep it in the school safe, delete the file.")
    else:
        print(f"Kestrel is set up in {_data_dir(args)}.\nRecovery key (shown once; print it "
              f"and keep it in the school safe):\n\n    {recovery}\n")
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from app.services.demo_school import create_demo_school
    from app.services.seed import seed_incidents

    root = _data_dir(args, demo=True)
    started = time.perf_counter()
    progress = _progress_printer(args.incidents)
    if DataPaths(root).is_initialised():
        console = _open(args, root)
        try:
            report = seed_incidents(console, args.incidents, args.screenshots, seed=args.seed,
                                    progress=progress, workers=args.workers)
        finally:
            console.close()
        count = report.incidents
    else:
        console = create_demo_school(root, args.incidents, args.screenshots,
                                     key_mode=getattr(args, "key_mode", "auto"),
                                     passphrase=_passphrase(args),
                                     progress=progress, workers=args.workers)
        console.close()
        count = args.incidents
    elapsed = time.perf_counter() - started
    print(f"\nSeeded {count} incidents into {root} in {elapsed:.1f} s "
          f"({count / elapsed:.0f} incidents/s).")
    return 0


def _progress_printer(total: int) -> Callable[[int, int], None]:
    last = [0.0]

    def show(done: int, _total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 1 or done == total:
            last[0] = now
            print(f"\r  {done}/{total} incidents", end="", file=sys.stderr, flush=True)
    return show


def _cmd_verify(args: argparse.Namespace) -> int:
    from app.services.audit_log import verify_install

    console = _open(args, _data_dir(args))
    try:
        report = verify_install(console)
    finally:
        console.close()
    if report.ok:
        print(f"OK: {report.audit_events} audit events, {report.checkpoints} checkpoints and "
              f"{report.evidence_files} evidence files verified.")
        return 0
    where = f" first bad audit event: seq {report.first_bad_seq}." if report.first_bad_seq else ""
    print(f"kestrel: verification FAILED.{where}", file=sys.stderr)
    for problem in report.problems[:50]:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _cmd_library_test(args: argparse.Namespace) -> int:
    """One JSON object per input line; the library is validated before any line is read."""
    import json

    from app.detection.library import load_library
    from app.detection.matcher import Matcher
    from app.paths import RESOURCES

    matcher = Matcher.compile(load_library(args.library or RESOURCES / "phrases"))
    for number, line in enumerate(sys.stdin, start=1):
        text = line.rstrip("\r\n")
        matches = [{"category": m.category, "severity": m.severity, "phrase": m.phrase,
                    "id": m.phrase_id, "text": m.text, "start": m.start, "end": m.end}
                   for m in matcher.find(text)]
        print(json.dumps({"line": number, "matches": matches}, ensure_ascii=False),
              flush=False)
    sys.stdout.flush()
    return 0


def _cmd_scan_image(args: argparse.Namespace) -> int:
    import json

    from app.agent.scan import scan_image
    from app.detection.library import load_library
    from app.detection.matcher import Matcher
    from app.paths import RESOURCES

    matcher = Matcher.compile(load_library(args.library or RESOURCES / "phrases"))

    def find(text: str) -> list[tuple[int, int, object]]:
        return [(m.start, m.end, {"category": m.category, "severity": m.severity,
                                  "phrase": m.phrase, "id": m.phrase_id})
                for m in matcher.find(text)]

    report = scan_image(args.image, args.ocr, find)
    report["library_version"] = matcher.version
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def _cmd_recover(args: argparse.Namespace) -> int:
    from app.services.install import recover_install

    if args.recovery_key_file:
        text = read_secret(args.recovery_key_file, "recovery key")
    else:
        text = input("Type the recovery key (8 groups of 5): ")
    recover_install(_data_dir(args), text, _passphrase(args))
    print("Access restored: the install key is back in this computer's keyring.")
    return 0
