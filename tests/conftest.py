"""Shared fixtures: real installs on disk (SQLCipher, keystore, evidence files), an
injectable clock, and a guard for tests that need the real OS keyring."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.errors import KeyringRefusedError
from app.security.keyring_store import trusted_backend

REPO = Path(__file__).resolve().parent.parent
PASSPHRASE = "test install passphrase"
DSL_PASSWORD = "correct horse battery"


class FakeClock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 8, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def install(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh passphrase-mode install with one DSL (user 'dsl')."""
    from app.services.install import create_install

    console, recovery = create_install(tmp_path / "school", "Test School", "dsl", "Dana Lead",
                                       DSL_PASSWORD, key_mode="passphrase",
                                       passphrase=PASSPHRASE)
    console.recovery_key = recovery  # type: ignore[attr-defined]
    yield console
    console.close()


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo school on disk, built once per test session (read-mostly tests)."""
    from app.services.demo_school import create_demo_school

    root = tmp_path_factory.mktemp("demo") / "school"
    console = create_demo_school(root, incidents=600, screenshots=12, key_mode="passphrase",
                                 passphrase=PASSPHRASE, workers=1)
    console.close()
    return root


@pytest.fixture
def demo(demo_root: Path):  # type: ignore[no-untyped-def]
    from app.services.install import open_install

    console = open_install(demo_root, PASSPHRASE)
    yield console
    console.close()


@pytest.fixture
def real_keyring() -> Iterator[None]:
    """Skip where no trusted OS keyring exists; in CI (KESTREL_REQUIRE_KEYRING=1) fail instead."""
    try:
        trusted_backend()
    except KeyringRefusedError as exc:
        if os.environ.get("KESTREL_REQUIRE_KEYRING") == "1":
            pytest.fail(f"CI must provide a real Secret Service keyring: {exc}")
        pytest.skip(f"no trusted OS keyring here: {exc}")
    yield


def run_main(*args: str, env: dict[str, str] | None = None,
             timeout: float = 600) -> tuple[int, str, str]:
    """Run `python main.py ARGS` in a real subprocess; return (exit code, stdout, stderr)."""
    import subprocess

    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=REPO)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def install_with_incidents(install):  # type: ignore[no-untyped-def]
    """A private install with a few seeded incidents, for tests that change state."""
    from app.services import users
    from app.services.seed import seed_incidents

    seed_incidents(install, 40, 2, workers=1)
    return install, users.login(install, "dsl", DSL_PASSWORD)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A real, emptied PostgreSQL database (CI starts one with .ci/start-postgres)."""
    url = os.environ.get("KESTREL_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must set KESTREL_TEST_POSTGRES_URL (see .ci/run)")
        pytest.skip("no KESTREL_TEST_POSTGRES_URL: run `bash .ci/start-postgres` and export it")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url
