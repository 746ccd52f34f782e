"""Engine factories: the embedded SQLCipher file (default) and PostgreSQL (trusts, scale-out).

SQLCipher is opened with a raw 256-bit key (`PRAGMA key = "x'…'"`), so no passphrase KDF runs
on every connection. Every connection gets the same pragmas: WAL (readers never block the one
writer), foreign keys on, a busy timeout, FULL sync (the receiver acknowledges only what is on
disk) and in-memory temp storage (no plaintext temp files beside the encrypted database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from db.errors import WrongKeyError

KEY_BYTES = 32
BUSY_TIMEOUT_MS = 10_000  # how long a connection waits for another writer before "busy"
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA synchronous = FULL",
    "PRAGMA cache_size = -65536",
)


def open_sqlcipher_connection(path: Path, key: bytes) -> Any:
    """A raw DB-API connection to an encrypted file, key applied and checked."""
    if len(key) != KEY_BYTES:
        raise ValueError("the database key must be 32 bytes")
    conn = sqlcipher.connect(str(path), check_same_thread=False)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
    except sqlcipher.DatabaseError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise  # another program holds the file: busy, not a wrong key
        raise WrongKeyError(str(exc)) from None
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    return conn


def sqlcipher_engine(path: Path, key: bytes, pool_size: int = 4) -> Engine:
    """An engine over one SQLCipher file. Raises WrongKeyError at once if the key is wrong."""
    open_sqlcipher_connection(path, key).close()  # fail fast, before any pool exists
    engine = create_engine(
        f"sqlite:///{path}",
        module=sqlcipher,
        creator=lambda: open_sqlcipher_connection(path, key),
        pool_size=pool_size,
        max_overflow=2,
        hide_parameters=True,  # error messages (and so logs) never quote a pupil's words
    )
    return engine


def postgres_engine(url: str) -> Engine:
    """An engine over PostgreSQL; the URL carries TLS options (sslmode=verify-full)."""
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _utc(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
