"""The agent's outbox on real SQLite files: it keeps every incident, with its evidence, until the
console acknowledges it; survives restarts (seq, epoch, counters); and a damaged file is kept
aside, explained in one line, while a fresh outbox carries on."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import threading
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.agent.incident import SealedIncident
from app.agent.outbox import DuplicateIncidentError, Outbox
from app.errors import ConfigError


def incident(seq: int = 1, shots: int = 1, size: int = 64) -> SealedIncident:
    """A sealed incident as far as the outbox can tell: it never reads the bytes."""
    blobs = tuple((hashlib.sha256(data).hexdigest(), data)
                  for data in (os.urandom(size) for _ in range(shots)))
    return SealedIncident(str(uuid.uuid4()), seq, b"manifest %d" % seq, b"sig", b"sealed", blobs)


def scalar(path: Path, sql: str) -> object:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchone()[0]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "agent" / "outbox.sqlite"


def test_an_incident_waits_with_all_its_evidence_until_acknowledged(path: Path) -> None:
    sealed = incident(shots=3)
    with Outbox(path) as outbox:
        outbox.add(sealed)
        assert outbox.waiting(10) == [sealed]
        assert outbox.depth() == 1
    with Outbox(path) as outbox:  # a restart changes nothing
        assert outbox.waiting(10) == [sealed]
        outbox.acknowledge([sealed.uuid])
        assert outbox.waiting(10) == [] and outbox.depth() == 0
        assert outbox.status().bytes == 0
    assert scalar(path, "SELECT count(*) FROM blobs") == 0  # evidence goes with its incident


def test_incidents_are_offered_oldest_first_up_to_the_limit(path: Path) -> None:
    made = [incident(seq, shots=seq % 3) for seq in range(1, 8)]
    with Outbox(path) as outbox:
        for sealed in made:
            outbox.add(sealed)
        assert [i.uuid for i in outbox.waiting(4)] == [i.uuid for i in made[:4]]
        outbox.acknowledge([made[1].uuid])
        assert [i.seq for i in outbox.waiting(50)] == [1, 3, 4, 5, 6, 7]


def test_a_set_aside_incident_is_kept_but_no_longer_offered(path: Path) -> None:
    first, second = incident(1), incident(2)
    with Outbox(path) as outbox:
        outbox.add(first)
        outbox.add(second)
        outbox.set_aside(first.uuid, "rejected: schema")
        outbox.set_aside("not-here", "ignored")
        assert outbox.waiting(10) == [second]
        status = outbox.status()
        assert (outbox.depth(), status.depth, status.set_aside) == (1, 1, 1)
    with Outbox(path) as outbox:
        assert outbox.waiting(10) == [second] and outbox.status().set_aside == 1


def test_acknowledging_unknown_or_repeated_uuids_changes_nothing(path: Path) -> None:
    kept, gone = incident(1), incident(2)
    with Outbox(path) as outbox:
        outbox.add(kept)
        outbox.add(gone)
        outbox.acknowledge([gone.uuid])
        outbox.acknowledge([gone.uuid, str(uuid.uuid4())])
        outbox.acknowledge([])
        assert outbox.waiting(10) == [kept]


def test_adding_a_uuid_twice_is_refused_and_leaves_one_row(path: Path) -> None:
    sealed = incident()
    with Outbox(path) as outbox:
        outbox.add(sealed)
        with pytest.raises(DuplicateIncidentError, match="already in the outbox"):
            outbox.add(SealedIncident(sealed.uuid, 2, b"other", b"sig", b"c", ()))
        assert outbox.waiting(10) == [sealed]
    assert scalar(path, "SELECT count(*) FROM blobs") == 1


def test_screenshots_give_way_at_the_cap_and_the_dropped_count_survives_reopen(
        path: Path) -> None:
    with Outbox(path, cap_bytes=10_000) as outbox:
        assert outbox.room_for_screenshot(10_000)
        outbox.add(incident(shots=1, size=6_000))
        used = outbox.status().bytes
        assert used > 6_000
        assert outbox.room_for_screenshot(10_000 - used)
        assert not outbox.room_for_screenshot(10_000 - used + 1)
        outbox.note_dropped_screenshot()
        outbox.note_dropped_screenshot()
        outbox.add(incident(shots=0))  # the incident itself is always kept
    with Outbox(path, cap_bytes=10_000) as outbox:
        status = outbox.status()
        assert (status.dropped_screenshots, status.depth) == (2, 2)
        assert not outbox.room_for_screenshot(10_000 - used + 1)


def test_seq_strictly_increases_across_restarts(path: Path) -> None:
    seen: list[int] = []
    for _ in range(3):
        with Outbox(path) as outbox:
            seen += [outbox.reserve_seq() for _ in range(4)]
    assert seen == sorted(set(seen)) and seen[0] >= 1


def test_the_epoch_is_made_once_per_file_and_kept(path: Path, tmp_path: Path) -> None:
    with Outbox(path) as outbox:
        epoch = outbox.epoch()
    with Outbox(path) as outbox:
        assert outbox.epoch() == epoch
    with Outbox(tmp_path / "other.sqlite") as other:
        assert other.epoch() != epoch
    assert str(uuid.UUID(epoch)) == epoch


def test_status_reports_the_oldest_incident_still_to_send(path: Path) -> None:
    start = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    first, second = incident(1), incident(2)
    with Outbox(path) as outbox:
        assert outbox.status().oldest_captured_at is None
        outbox.add(second, captured_at=start + timedelta(minutes=5))
        outbox.add(first, captured_at=start)
        assert outbox.status().oldest_captured_at == start
        outbox.set_aside(first.uuid, "rejected")
        assert outbox.status().oldest_captured_at == start + timedelta(minutes=5)
        assert outbox.status().problem is None


def test_a_file_of_garbage_is_kept_aside_and_a_fresh_outbox_works(path: Path) -> None:
    path.parent.mkdir()
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with Outbox(path) as outbox:
        problem = outbox.status().problem
        assert problem is not None and "not a database" in problem and "\n" not in problem
        sealed = incident()
        outbox.add(sealed)
        assert outbox.waiting(1) == [sealed]
        epoch = outbox.epoch()
    aside = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert aside[0].name in problem
    with Outbox(path) as outbox:  # the fresh file is fine; the note stays until it is gone
        assert outbox.epoch() == epoch and outbox.status().problem == problem


def test_a_database_with_damaged_pages_is_kept_aside(path: Path) -> None:
    with Outbox(path) as outbox:
        for seq in range(40):
            outbox.add(incident(seq, size=2000))
    with closing(sqlite3.connect(path)) as db:  # fold the WAL in, so the damage lands in the file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2:page * 2 + 600] = os.urandom(600)
    path.write_bytes(bytes(data))
    with Outbox(path) as outbox:
        problem = outbox.status().problem
        assert problem is not None and ".damaged-" in problem and "\n" not in problem
        assert outbox.depth() == 0
    assert any(".damaged-" in p.name for p in path.parent.iterdir())


def test_a_database_that_is_not_an_outbox_is_kept_aside(path: Path) -> None:
    path.parent.mkdir()
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE items (whatever)")
    with Outbox(path) as outbox:
        assert "not a Kestrel outbox" in (outbox.status().problem or "")


def test_an_outbox_from_a_newer_agent_is_refused_and_left_alone(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.add(incident())
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(ConfigError, match="newer agent"):
        Outbox(path)
    assert [p.name for p in path.parent.iterdir() if ".damaged-" in p.name] == []


def test_the_file_is_in_wal_mode_and_owner_only(path: Path) -> None:
    with Outbox(path) as outbox:
        outbox.add(incident())
        assert scalar(path, "PRAGMA journal_mode") == "wal"
        if sys.platform != "win32":
            for name in (path, path.with_name(path.name + "-wal")):
                assert name.stat().st_mode & 0o777 == 0o600


def test_capture_threads_can_add_while_the_sender_reads_and_acknowledges(path: Path) -> None:
    made: list[SealedIncident] = []
    acked: set[str] = set()
    with Outbox(path) as outbox:
        def capture() -> None:
            for _ in range(25):
                sealed = incident(outbox.reserve_seq())
                outbox.add(sealed)
                made.append(sealed)

        threads = [threading.Thread(target=capture) for _ in range(4)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads) or outbox.depth():
            batch = outbox.waiting(7)
            outbox.acknowledge([i.uuid for i in batch])
            acked.update(i.uuid for i in batch)
        for thread in threads:
            thread.join()
        assert acked == {i.uuid for i in made} and len(made) == 100
        assert len({i.seq for i in made}) == 100
