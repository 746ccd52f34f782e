"""Fixtures for the GUI tests: a real demo install per module, a bridge, signed-in sessions.

The install is made in passphrase mode so the tests never need an OS keyring. Every GUI test
fails on Qt warnings (STYLE rule 10), apart from the offscreen platform's own notice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.services import users
from app.services.console import Console
from app.services.demo_school import DEMO_PASSWORD, create_demo_school
from app.services.executor import DbExecutor
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge

PASSPHRASE = "test passphrase 1"
_HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore("propagateSizeHints"))


@dataclass
class DemoInstall:
    root: Path
    console: Console

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> UserSession:
        return users.login(self.console, username, password)


@pytest.fixture(scope="module")
def demo_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoInstall]:
    root = tmp_path_factory.mktemp("kestrel") / "d"
    console = create_demo_school(root, incidents=300, screenshots=5, key_mode="passphrase",
                                 passphrase=PASSPHRASE, workers=1)
    yield DemoInstall(root, console)
    console.close()


@pytest.fixture
def bridge(qapp: object) -> Iterator[ServiceBridge]:
    executor = DbExecutor()
    service_bridge = ServiceBridge(executor)
    yield service_bridge
    service_bridge.close()
    executor.shutdown(wait=True)
    service_bridge.deleteLater()


@pytest.fixture
def dsl_session(demo_install: DemoInstall) -> UserSession:
    return demo_install.sign_in("dsl")
