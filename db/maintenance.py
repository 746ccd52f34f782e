"""Keeping the query planner informed.

Filtered incident lists depend on SQLite choosing the index that also gives the sort order;
without statistics it can pick a look-alike covering index and sort 200,000 rows instead
(measured: 43 ms vs 6 ms at 1,000,000 incidents). `optimize` refreshes statistics cheaply:
with `analysis_limit` each index is sampled, not read in full.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

ANALYSIS_LIMIT = 1000


def optimize(engine: Engine) -> None:
    """Refresh planner statistics where they are missing or stale (SQLite; no-op elsewhere)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.exec_driver_sql("PRAGMA optimize = 0x10002")
