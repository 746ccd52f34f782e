"""Creating and opening an install (one school's data folder).

`create_install` is the first-run path shared by the wizard, `main.py init` and the demo: it
makes the keys, the encrypted database at the newest schema, the site, the categories and the
first DSL. If any step fails, everything it wrote is removed again, so a failed first run can
simply be retried. `open_install` is every later start.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.domain.categories import CATEGORIES
from app.domain.dto import Actor
from app.domain.enums import Role
from app.errors import ConfigError, KeyUnavailableError, NotInitialisedError
from app.paths import DataPaths
from app.security import keyring_store
from app.security.keystore import OpenKeys, create_keystore, open_keystore, recover_with_key
from app.security.passwords import check_password_policy
from app.services import users
from app.services.console import Console, UnitOfWork
from app.services.evidence_store import EvidenceStore
from app.settings import Settings, load_settings, save_settings
from db.engine import postgres_engine, sqlcipher_engine
from db.errors import WrongKeyError
from db.maintenance import optimize
from db.migrate import upgrade_to_head
from db.repositories import reference_repo

ExtraSetup = Callable[[UnitOfWork, X25519PrivateKey], None]


def create_install(root: Path, school_name: str, dsl_username: str, dsl_display_name: str,
                   dsl_password: str, key_mode: str = "keyring", passphrase: str | None = None,
                   is_demo: bool = False, database_url: str | None = None,
                   extra_setup: ExtraSetup | None = None) -> tuple[Console, str]:
    """Set up a new install; return the open console and the recovery key to show once.

    `extra_setup(uow, evidence_private_key)` runs inside the setup transaction (the demo adds
    its staff there); the evidence private key is never kept after this call."""
    paths = DataPaths(root)
    if paths.is_initialised():
        raise ConfigError(f"{root} already holds a Kestrel install.")
    if paths.keystore.exists() or paths.database.exists():
        raise ConfigError(f"{root} holds part of an earlier install; move it aside first.")
    users.validate_username(dsl_username)
    check_password_policy(dsl_password)
    if not school_name.strip():
        raise ConfigError("Enter the school's name.")
    settings = Settings(school_name=school_name.strip()[:200], key_mode=key_mode,
                        is_demo=is_demo, database_url=database_url)
    existed = root.exists()
    paths.ensure()
    try:
        new = create_keystore(paths.keystore, settings.install_id, key_mode, passphrase)
        console = _connect(paths, settings, new.keys)
        with console.unit_of_work(Actor.system("install")) as uow:
            reference_repo.add_site(uow.session, {"name": settings.school_name,
                                                  "created_at": console.clock()})
            reference_repo.insert_categories(uow.session, [
                {"key": c.key, "name": c.name, "uksic_group": c.uksic_group,
                 "colour": c.colour, "restricted_imagery": c.restricted_imagery}
                for c in CATEGORIES])
            users.add_user(uow, dsl_username, dsl_display_name, Role.DSL, dsl_password,
                           new.evidence_private_key)
            if extra_setup is not None:
                extra_setup(uow, new.evidence_private_key)
            uow.audit("install.create", "install", school=settings.school_name,
                      key_mode=key_mode, demo=is_demo)
        save_settings(paths.settings, settings)  # written last: it marks the install complete
    except BaseException:
        _undo(paths, settings, existed)
        raise
    return console, new.recovery_key


def open_install(root: Path, passphrase: str | None = None) -> Console:
    """Open an existing install, migrating its database to the newest schema."""
    paths = DataPaths(root)
    if not paths.is_initialised():
        raise NotInitialisedError(f"There is no Kestrel install in {root} yet.")
    settings = load_settings(paths.settings)
    keys = open_keystore(paths.keystore, passphrase)
    return _connect(paths, settings, keys)


def recover_install(root: Path, recovery_key: str, new_passphrase: str | None = None) -> None:
    """Restore the install key from the printed recovery key (keyring entry lost)."""
    paths = DataPaths(root)
    if not paths.is_initialised():
        raise NotInitialisedError(f"There is no Kestrel install in {root} yet.")
    keys, _evidence_key = recover_with_key(paths.keystore, recovery_key, new_passphrase)
    console = _connect(paths, load_settings(paths.settings), keys)
    try:
        with console.unit_of_work(Actor.system("recovery")) as uow:
            uow.audit("keys.recovered", "install")
    finally:
        console.close()


def _connect(paths: DataPaths, settings: Settings, keys: OpenKeys) -> Console:
    if settings.database_url:
        engine = postgres_engine(settings.database_url)
    else:
        try:
            engine = sqlcipher_engine(paths.database, keys.database_key)
        except WrongKeyError:
            raise KeyUnavailableError(
                f"The database {paths.database} does not open with this install's key: it "
                "belongs to another install or is damaged.") from None
    upgrade_to_head(engine)
    optimize(engine)
    return Console(paths=paths, settings=settings, keys=keys, engine=engine,
                   evidence=EvidenceStore(paths.evidence))


def _undo(paths: DataPaths, settings: Settings, root_existed: bool) -> None:
    """Remove what a failed first run wrote (never anything it did not create)."""
    if settings.key_mode == "keyring":
        with contextlib.suppress(Exception):  # the keyring may be the thing that failed
            keyring_store.delete_install_key(settings.install_id)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths.database}{suffix}").unlink(missing_ok=True)
    for leftover in (paths.keystore, paths.settings, paths.audit_anchor):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(paths.evidence, ignore_errors=True)
    shutil.rmtree(paths.logs, ignore_errors=True)
    if not root_existed:
        shutil.rmtree(paths.root, ignore_errors=True)
