"""The device's outbox: every sealed incident, kept on disk until the console acknowledges it.

One SQLite file (stdlib `sqlite3`; nothing in it is readable without the school's key — the
items are sealed and signed before they get here, app.agent.incident). WAL with
`synchronous=FULL`, so a committed incident survives power loss, and an incident and its
evidence go in one transaction, so a crash never leaves half of one. The file is owner-only.

Opening runs `PRAGMA quick_check`. A file that is not a database, is corrupt or belongs to
something else is moved aside (`<name>.damaged-<UTC time>`, never deleted, WAL beside it) and a
fresh outbox starts — with a new epoch, so its sequence numbers cannot collide with the old
file's at the console; `status().problem` says what happened, in one line, from then on.

Sizes: the cap counts payload bytes (manifests, signatures, sealed content and evidence), not
the file, which is a little larger and does not shrink after acknowledgements (SQLite reuses
the freed pages). Only screenshots give way to the cap: `room_for_screenshot` answers before
sealing, because the signed manifest lists its evidence and cannot lose a blob later.

Threading: one connection opened with `check_same_thread=False`, every call serialised by one
lock — capture threads add while the sender's asyncio thread reads and acknowledges. Calls are
short (one small transaction; the fsync is the slow part), so the sender may call them on its
loop thread. Not for several processes at once (SQLite would cope; the seq would not be ours).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from app.agent.incident import SealedIncident
from app.errors import ConfigError, KestrelError, ValidationError

log = logging.getLogger(__name__)
DEFAULT_CAP_BYTES = 500 * 1024 * 1024
SCHEMA_VERSION = 1
APPLICATION_ID = 0x4B4F4258  # "KOBX": tells an outbox from any other SQLite file
REASON_MAX = 500
_SIDE_FILES = ("-wal", "-shm")
_SCHEMA = """
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    captured_at TEXT NOT NULL,
    manifest BLOB NOT NULL,
    signature BLOB NOT NULL,
    content BLOB NOT NULL,
    blob_count INTEGER NOT NULL,
    size INTEGER NOT NULL,
    aside_reason TEXT,
    aside_at TEXT
);
CREATE TABLE blobs (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (item_id, position)
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE INDEX items_waiting ON items (aside_reason, id);
"""


class OutboxError(KestrelError):
    """The outbox file could not be read or written (disk full, I/O error); nothing changed."""


class DuplicateIncidentError(ValidationError):
    """An incident with this UUID is already in the outbox; nothing was added."""


@dataclass(frozen=True)
class OutboxStatus:
    """What `agent status` and the heartbeat report. `depth` counts incidents still to send,
    `set_aside` those the console refused (kept, not resent); `bytes` is their payload."""

    depth: int
    set_aside: int
    bytes: int
    oldest_captured_at: datetime | None
    dropped_screenshots: int
    problem: str | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    """Fixed-width UTC ISO text, so SQL MIN/ORDER BY on it is chronological."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Outbox:
    """The agent's durable queue of sealed incidents (implements app.net.sender.Outbox).

    Threading: safe from any thread; one lock serialises all calls on one connection."""

    def __init__(self, path: Path, cap_bytes: int = DEFAULT_CAP_BYTES,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self.path, self.cap_bytes, self._clock = Path(path), cap_bytes, clock
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        damage = _damage(self.path)
        problem = self._move_aside(damage) if damage else None
        self._conn = _connect(self.path)
        try:
            self._create_schema(problem)
        except BaseException:
            self._conn.close()
            raise

    # -- the sender's protocol -------------------------------------------------------------

    def waiting(self, limit: int) -> Sequence[SealedIncident]:
        """Up to `limit` incidents to send, oldest first, with their evidence; set-aside ones
        are left out."""
        with self._transaction("BEGIN") as db:
            rows = db.execute(
                "SELECT id, uuid, seq, manifest, signature, content FROM items "
                "WHERE aside_reason IS NULL ORDER BY id LIMIT ?", (max(limit, 0),)).fetchall()
            return [SealedIncident(u, seq, bytes(m), bytes(s), bytes(c), _blobs_of(db, item))
                    for item, u, seq, m, s, c in rows]

    def acknowledge(self, uuids: Sequence[str]) -> None:
        """Forget these incidents and their evidence, in one transaction; unknown ones are
        ignored (an acknowledgement may arrive twice)."""
        if not uuids:
            return
        with self._transaction() as db:
            keys = [(u,) for u in uuids]
            db.executemany("DELETE FROM blobs WHERE item_id = "
                           "(SELECT id FROM items WHERE uuid = ?)", keys)
            db.executemany("DELETE FROM items WHERE uuid = ?", keys)

    def set_aside(self, uuid: str, reason: str) -> None:
        """Keep an incident the console refused but stop offering it; unknown uuids are
        ignored. The reason is the console's, never captured text."""
        with self._transaction() as db:
            db.execute("UPDATE items SET aside_reason = ?, aside_at = ? WHERE uuid = ?",
                       (reason[:REASON_MAX] or "refused", _stamp(self._clock()), uuid))
        log.info("outbox: incident %s set aside", uuid)

    def depth(self) -> int:
        """How many incidents are still to send (set-aside ones not counted)."""
        with self._transaction("BEGIN") as db:
            row = db.execute("SELECT count(*) FROM items WHERE aside_reason IS NULL").fetchone()
        return int(row[0])

    # -- the agent's side ------------------------------------------------------------------

    def add(self, incident: SealedIncident, captured_at: datetime | None = None) -> None:
        """Keep one sealed incident and all its evidence, in one transaction. `captured_at`
        (default: now) only feeds `status().oldest_captured_at`; the manifest is not read.
        Raises DuplicateIncidentError if its UUID is already here."""
        size = len(incident.manifest) + len(incident.signature) + len(incident.content) + \
            sum(len(data) for _, data in incident.blobs)
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM items WHERE uuid = ?", (incident.uuid,)).fetchone():
                raise DuplicateIncidentError(
                    f"Incident {incident.uuid} is already in the outbox; it was not added again.")
            item = db.execute(
                "INSERT INTO items (uuid, seq, captured_at, manifest, signature, content, "
                "blob_count, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (incident.uuid, incident.seq, _stamp(captured_at or self._clock()),
                 incident.manifest, incident.signature, incident.content,
                 len(incident.blobs), size)).lastrowid
            db.executemany("INSERT INTO blobs (item_id, position, sha256, data) "
                           "VALUES (?, ?, ?, ?)",
                           [(item, n, sha, data) for n, (sha, data) in enumerate(incident.blobs)])

    def epoch(self) -> str:
        """This outbox file's epoch (a UUID made with the file): seqs are unique within it."""
        return str(self._meta("epoch"))

    def reserve_seq(self) -> int:
        """The next sequence number; committed before it is returned, so a restart never
        hands it out again."""
        with self._transaction() as db:
            seq = int(db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()[0])
            db.execute("UPDATE meta SET value = ? WHERE key = 'next_seq'", (seq + 1,))
        return seq

    def room_for_screenshot(self, size: int) -> bool:
        """Whether `size` more bytes of evidence stay within the cap. When not, the agent
        records the incident without its screenshot and calls `note_dropped_screenshot`."""
        return self._payload_bytes() + size <= self.cap_bytes

    def note_dropped_screenshot(self) -> None:
        """Count a screenshot left out for want of room (reported in the heartbeat)."""
        with self._transaction() as db:
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'dropped_screenshots'")

    def status(self) -> OutboxStatus:
        """A snapshot for `agent status` and the heartbeat; `oldest_captured_at` is of the
        incidents still to send."""
        with self._transaction("BEGIN") as db:
            waiting, aside, size, oldest = db.execute(
                "SELECT count(*) FILTER (WHERE aside_reason IS NULL), "
                "count(*) FILTER (WHERE aside_reason IS NOT NULL), coalesce(sum(size), 0), "
                "min(captured_at) FILTER (WHERE aside_reason IS NULL) FROM items").fetchone()
            dropped, problem = (_meta_value(db, key) for key in ("dropped_screenshots",
                                                                  "problem"))
        return OutboxStatus(waiting, aside, size,
                            datetime.fromisoformat(oldest) if oldest else None, int(dropped),
                            str(problem) or None)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- inside ----------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """All or nothing; SQLite's own failures (disk full, I/O) become an OutboxError."""
        with self._lock:
            try:
                self._conn.execute(begin)
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:  # SQLite may have rolled back already
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise OutboxError(f"The outbox {self.path} could not be used: {exc}.") \
                        from exc
                raise

    def _meta(self, key: str) -> int | str:
        with self._transaction("BEGIN") as db:
            return _meta_value(db, key)

    def _payload_bytes(self) -> int:
        with self._transaction("BEGIN") as db:
            return int(db.execute("SELECT coalesce(sum(size), 0) FROM items").fetchone()[0])

    def _create_schema(self, problem: str | None) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(f"The outbox {self.path} was made by a newer agent; "
                                  "reinstall the newer agent to send what it holds.")
            if version == 0:
                # executescript would COMMIT mid-transaction, hence one statement at a time
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                           [("epoch", str(uuidlib.uuid4())), ("next_seq", 1),
                            ("dropped_screenshots", 0), ("problem", problem or "")])

    def _move_aside(self, damage: str) -> str:
        """Rename the damaged file (and its WAL) out of the way; return the status line."""
        stamp = self._clock().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{n}")
        os.replace(self.path, aside)
        for suffix in _SIDE_FILES:
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
        log.warning("outbox %s %s; moved aside to %s", self.path, damage, aside.name)
        return f"The outbox file {damage}; it was kept as {aside.name} and a fresh one started."


def _damage(path: Path) -> str | None:
    """Why the file at `path` cannot be used as an outbox, or None (also when it is absent)."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(path, timeout=10)
        try:
            verdict = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_NOTADB:
            return "was not a database"
        if code == sqlite3.SQLITE_CORRUPT:
            return "was corrupt"
        raise ConfigError(f"Cannot open the outbox {path}: {exc}.") from exc
    if verdict != ["ok"]:
        return f"failed its integrity check ({' '.join(verdict[0].split())[:120]})"
    if tables and app_id != APPLICATION_ID:
        return "was a database but not a Kestrel outbox"
    return None


def _connect(path: Path) -> sqlite3.Connection:
    """Open (creating owner-only) with the settings that make a commit survive power loss."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # SQLite gives the WAL and -shm the same mode
    finally:
        os.close(fd)
    db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":  # e.g. a network folder: the rollback journal is still crash-safe
        log.warning("outbox %s: journal mode is %s, not WAL", path, mode)
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA fullfsync = ON")  # macOS: fsync alone leaves data in the drive cache
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _blobs_of(db: sqlite3.Connection, item: int) -> tuple[tuple[str, bytes], ...]:
    return tuple((sha, bytes(data)) for sha, data in db.execute(
        "SELECT sha256, data FROM blobs WHERE item_id = ? ORDER BY position", (item,)))


def _meta_value(db: sqlite3.Connection, key: str) -> int | str:
    value: int | str = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
    return value
