"""A real receiver on loopback (TLS 1.3, the install's real CA) over a fresh install."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.net.limits import Limits
from app.net.server import ReceiverServer
from app.services.console import Console
from app.services.executor import DbExecutor


@pytest.fixture
def executor() -> Iterator[DbExecutor]:
    pool = DbExecutor()
    yield pool
    pool.shutdown()


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
def server(install: Console, executor: DbExecutor, limits: Limits) -> Iterator[ReceiverServer]:
    stored: list[int] = []
    receiver = ReceiverServer(install, executor, "127.0.0.1", 0, limits, on_stored=stored.append)
    receiver.stored = stored  # type: ignore[attr-defined]
    receiver.start()
    yield receiver
    receiver.stop()
