"""seed: seeding throughput (incidents/s) with and without screenshots, against raw
sqlcipher3 executemany into the same shape of table with FTS5."""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

from app.services.install import create_install
from app.services.seed import seed_incidents
from tests.perf.common import Figure

PASSPHRASE = "benchmark passphrase"
SIZES = {"small": (5_000, 200), "full": (100_000, 2_000)}


def fresh_install(root: Path):  # type: ignore[no-untyped-def]
    console, _ = create_install(root, "Benchmark School", "dsl", "Bench DSL",
                                "benchmark password", key_mode="passphrase",
                                passphrase=PASSPHRASE)
    return console


def cached_install(name: str, count: int, **seed_options: Any):  # type: ignore[no-untyped-def]
    """A seeded benchmark install, built once and kept in perf-results/NAME-COUNT (git-ignored),
    then opened (and migrated, so no measurement below pays for a migration)."""
    from app.paths import REPO_ROOT, DataPaths
    from app.services.install import open_install

    root = REPO_ROOT / "perf-results" / f"{name}-{count}"
    if not DataPaths(root).is_initialised():
        print(f"  building a {count:,}-incident benchmark database in {root} …", flush=True)
        start = time.perf_counter()
        console = fresh_install(root)
        seed_incidents(console, count, 0, **seed_options)
        console.close()
        print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)
    return open_install(root, PASSPHRASE)


def _seed_rates(count: int, screenshots: int) -> tuple[float, float]:
    """(end-to-end incidents/s, single-writer ingest incidents/s)."""
    with tempfile.TemporaryDirectory() as tmp:
        console = fresh_install(Path(tmp) / "school")
        try:
            start = time.perf_counter()
            report = seed_incidents(console, count, screenshots, seed=7)
            return count / (time.perf_counter() - start), count / report.store_seconds
        finally:
            console.close()


def raw_insert_rate(count: int) -> float:
    """The bare library: executemany into an encrypted table + 6 indexes + FTS5, 500 a batch."""
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlcipher.connect(str(Path(tmp) / "raw.db"))
        conn.execute(f"PRAGMA key = \"x'{os.urandom(32).hex()}'\"")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE incidents (id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, "
                     "device_id INT, sequence INT, subject_id INT, captured_at INT, "
                     "received_at INT, source TEXT, category_id INT, severity INT, status TEXT,"
                     " app TEXT, window_title TEXT, url TEXT, context_text TEXT, "
                     "matched_text TEXT, manifest BLOB)")
        for cols in ("captured_at, id", "status, captured_at, id",
                     "category_id, captured_at, id", "severity, captured_at, id",
                     "subject_id, captured_at", "device_id, sequence"):
            conn.execute(f"CREATE INDEX ix_{abs(hash(cols))} ON incidents ({cols})")
        conn.execute("CREATE VIRTUAL TABLE fts USING fts5(context_text, window_title, "
                     "matched_text, content='', contentless_delete=1)")
        rows = [(i, f"{rng.getrandbits(128):032x}", i % 120, i, i % 600, 1_700_000_000_000_000
                 + i * 1000, 0, "typed", i % 13, 1 + i % 5, "new", "Chrome",
                 "Chat - Example", "https://example.org/chat",
                 f"message {i} about homework and something worrying", "worrying",
                 os.urandom(600)) for i in range(1, count + 1)]
        start = time.perf_counter()
        for at in range(0, count, 500):
            part = rows[at:at + 500]
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO incidents VALUES (" + ",".join("?" * 17) + ")", part)
            conn.executemany("INSERT INTO fts(rowid, context_text, window_title, matched_text) "
                             "VALUES (?, ?, ?, ?)", [(r[0], r[14], r[12], r[15]) for r in part])
            conn.execute("COMMIT")
        rate = count / (time.perf_counter() - start)
        conn.close()
        return rate


def run(scale: str) -> list[Figure]:
    """Seeding throughput, no screenshots and with screenshots, vs raw executemany + FTS."""
    plain, shots = SIZES[scale]
    baseline = raw_insert_rate(plain)
    end_to_end, store = _seed_rates(plain, 0)
    shots_end_to_end, shots_store = _seed_rates(shots, shots)
    raw = "raw sqlcipher3 executemany+FTS"
    return [
        Figure("ingest_store_no_screenshots", store, "incidents/s", "≥ 5,000/s", raw, baseline),
        Figure("seed_end_to_end_no_screenshots", end_to_end, "incidents/s",
               "≥ 5,000/s (bounded by per-incident HPKE + Ed25519 on 2 cores)", raw, baseline),
        Figure("ingest_store_with_screenshots", shots_store, "incidents/s", "none set", raw,
               baseline),
        Figure("seed_end_to_end_with_screenshots", shots_end_to_end, "incidents/s",
               "none set (rendering-bound)", raw, baseline),
    ]
