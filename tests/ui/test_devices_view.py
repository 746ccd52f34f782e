"""The Devices screen against a real receiver on loopback: a device waiting for approval is
approved from the keyboard and can then sync; revoking one refuses its next request; a typed
code and a token bundle are made; the IT technician sees no incident content anywhere."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import Qt

from app.net import enrol_client
from app.net.server import ReceiverServer
from app.services import enrolment
from app.ui.device_dialogs import CodeDialog, RevokeDialog, TokenDialog
from app.ui.devices_view import DevicesView
from app.ui.main_window import MainWindow

TIMEOUT = 15_000


@pytest.fixture
def receiver(demo_install, bridge):  # type: ignore[no-untyped-def]
    server = ReceiverServer(demo_install.console, bridge.executor)
    server.start()
    yield server
    server.stop()


def _view(qtbot, bridge, demo_install, who="itech") -> DevicesView:  # type: ignore[no-untyped-def]
    view = DevicesView(bridge, demo_install.console, demo_install.sign_in(who))
    qtbot.addWidget(view)
    view.resize(1300, 760)
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        view.show()
    return view


def _ask_to_join(demo_install, receiver, hostname: str):  # type: ignore[no-untyped-def]
    session = demo_install.sign_in("dsl")
    address = f"127.0.0.1:{receiver.port}"
    _info, doc = enrolment.create_token(demo_install.console, session, 2, timedelta(hours=1),
                                        False, "Library PCs", [address])
    bundle = enrol_client.read_bundle(json.dumps(doc).encode())
    return asyncio.run(enrol_client.enrol_with_bundle(
        bundle, address, Ed25519PrivateKey.generate(), str(uuid.uuid4()), hostname))


def test_a_waiting_device_is_approved_with_enter_after_comparing_its_short_id(
        qtbot, bridge, demo_install, receiver):
    asked = _ask_to_join(demo_install, receiver, "library-pc-03")
    view = _view(qtbot, bridge, demo_install)
    waiting = view.pending_model.row_at(0)
    assert (waiting.hostname, waiting.short_id) == ("library-pc-03", asked.short_id)
    assert "waiting for approval" in view.attention.text()
    view.pending.setFocus()
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        qtbot.keyClick(view.pending, Qt.Key.Key_Return)
    assert view.notice.text() == "library-pc-03 approved."
    assert not view.pending.isVisibleTo(view)
    assert "library-pc-03" in [view.device_model.row_at(r).hostname
                               for r in range(view.device_model.rowCount())]
    approved = asyncio.run(enrol_client.wait_for_approval(
        asked, f"127.0.0.1:{receiver.port}", 0))
    assert approved.certificate is not None


def test_delete_revokes_the_selected_device_with_a_reason(qtbot, bridge, demo_install):
    view = _view(qtbot, bridge, demo_install)
    row = next(r for r in range(view.device_model.rowCount())
               if view.device_model.row_at(r).state not in ("revoked", "retired"))
    target = view.device_model.row_at(row)
    view.devices.selectRow(row)
    view.devices.setFocus()
    qtbot.keyClick(view.devices, Qt.Key.Key_Delete)
    dialog = view.dialog
    assert isinstance(dialog, RevokeDialog)
    qtbot.keyClicks(dialog.reason, "reported stolen")
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert view.notice.text() == f"{target.hostname} revoked."
    states = {view.device_model.row_at(r).hostname: view.device_model.row_at(r).state
              for r in range(view.device_model.rowCount())}
    assert states[target.hostname] == "revoked"


def test_a_typed_code_is_shown_and_a_token_bundle_is_saved(qtbot, bridge, demo_install,
                                                           tmp_path):
    view = _view(qtbot, bridge, demo_install)
    view.make_code()
    qtbot.waitUntil(lambda: isinstance(view.dialog, CodeDialog), timeout=TIMEOUT)
    code = view.dialog.code.text()
    assert len(code) == 34 and code.count("-") == 6
    view.dialog.accept()
    target = tmp_path / "bundle.json"
    view.choose_bundle_path = lambda: str(target)
    view.make_token()
    dialog = view.dialog
    assert isinstance(dialog, TokenDialog)
    dialog.uses.setValue(12)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.notice.text().startswith(
        "Token for 12 device(s) saved as bundle.json"), timeout=TIMEOUT)
    bundle = enrol_client.read_bundle(target.read_bytes())
    assert bundle.token_id and target.stat().st_mode & 0o077 == 0


def test_the_technician_gets_devices_and_nothing_that_quotes_a_pupil(qtbot, bridge,
                                                                    demo_install):
    window = MainWindow(demo_install.console, demo_install.sign_in("itech"), bridge)
    qtbot.addWidget(window)
    assert window.nav_labels() == ["Devices"]
    assert isinstance(window.views["devices"], DevicesView)
    assert window.incidents_view is None
