"""The outbox survives being killed mid-write: a child process adds incidents as fast as it can
and is killed (SIGKILL on POSIX) at a random moment, five times. After each kill the file passes
SQLite's integrity check, every incident has all its evidence (none half-written), nothing
that was there before is lost (only acknowledgements remove), and the sequence keeps rising.

A kill is not a power cut — the OS still writes what the process handed it — so this proves the
transactions are atomic; surviving power loss rests on `synchronous=FULL` (fsync per commit).
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from app.agent.outbox import Outbox

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 5
CHILD = r"""
import hashlib, os, random, sys, uuid
from pathlib import Path
from app.agent.incident import SealedIncident
from app.agent.outbox import Outbox

outbox = Outbox(Path(sys.argv[1]))
rng = random.Random(int(sys.argv[2]))
print("ready", flush=True)
while True:
    seq = outbox.reserve_seq()
    shots = [os.urandom(rng.choice((512, 65_536, 400_000))) for _ in range(rng.randint(0, 3))]
    blobs = tuple((hashlib.sha256(data).hexdigest(), data) for data in shots)
    outbox.add(SealedIncident(str(uuid.uuid4()), seq, b"manifest %d" % seq, b"sig",
                              os.urandom(rng.randint(100, 5000)), blobs))
    if rng.random() < 0.2:
        outbox.note_dropped_screenshot()
"""


def run_and_kill(path: Path, rng: random.Random) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(rng.getrandbits(32))],
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready", \
            child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.05, 0.6))
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
    finally:
        child.kill()
        child.communicate(timeout=10)


def check_file(path: Path) -> None:
    """Straight SQLite, before the outbox opens it (which would move a damaged file aside)."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts = db.execute("SELECT i.blob_count, count(b.item_id) FROM items i "
                            "LEFT JOIN blobs b ON b.item_id = i.id GROUP BY i.id").fetchall()
        assert all(expected == found for expected, found in counts)
        for sha, data in db.execute("SELECT sha256, data FROM blobs"):
            assert hashlib.sha256(data).hexdigest() == sha
    finally:
        db.close()


def test_killing_the_writer_at_random_never_leaves_half_an_incident(tmp_path: Path) -> None:
    path, rng = tmp_path / "outbox.sqlite", random.Random()
    kept: set[str] = set()
    last_seq, dropped, added, epoch = 0, 0, 0, None
    for _ in range(ROUNDS):
        run_and_kill(path, rng)
        check_file(path)
        with Outbox(path) as outbox:
            status = outbox.status()
            assert status.problem is None
            assert epoch in (None, outbox.epoch())
            epoch = outbox.epoch()
            items = outbox.waiting(100_000)
            uuids = {i.uuid for i in items}
            assert kept <= uuids  # only an acknowledgement takes one away
            seqs = [i.seq for i in items]
            assert seqs == sorted(set(seqs))
            assert all(i.seq > last_seq for i in items if i.uuid not in kept)
            last_seq = outbox.reserve_seq()
            assert last_seq > max(seqs, default=0)
            assert status.dropped_screenshots >= dropped
            dropped = status.dropped_screenshots
            added += len(uuids - kept)
            gone = [i.uuid for i in items[:3]]
            outbox.acknowledge(gone)
            kept = uuids - set(gone)
            assert outbox.depth() == len(kept)
    assert added >= ROUNDS  # the child did write between kills

