"""The single database executor: one thread that runs every state-changing service call.

SQLite allows one writer; funnelling writes (UI actions, the sync receiver, seeding) through
one thread makes that explicit instead of leaning on busy timeouts. Reads may use it too, which
keeps the GUI thread free of database work.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class DbExecutor:
    """Runs callables on one named worker thread; results come back as futures."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kestrel-db")

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
