"""The bridge: answers arrive on the GUI thread, errors become sentences, stale calls drop."""

from __future__ import annotations

import threading

import pytest

from app.errors import ValidationError
from app.events import ChangeSet
from app.ui.bridge import UNEXPECTED, user_message, wait_for


def test_results_arrive_on_the_gui_thread_tagged_with_their_request_id(qtbot, bridge):
    seen = {}

    def work(x):
        seen["worker"] = threading.current_thread()
        return x * 2

    def done(value):
        seen["gui"] = threading.current_thread()
        seen["value"] = value

    with qtbot.waitSignal(bridge.sig_result, timeout=5_000) as blocker:
        request_id = bridge.call(work, 21, on_result=done)
    assert blocker.args == [request_id, 42]
    assert seen["value"] == 42
    assert seen["gui"] is threading.main_thread()
    assert seen["worker"] is not threading.main_thread()


def test_kestrel_errors_become_their_own_sentence(qtbot, bridge):
    def refuse():
        raise ValidationError("Select at least one incident.")

    with qtbot.waitSignal(bridge.sig_error, timeout=5_000) as blocker:
        bridge.call(refuse)
    assert user_message(blocker.args[1]) == "Select at least one incident."


def test_unexpected_errors_are_logged_and_shown_without_a_traceback(qtbot, bridge, caplog):
    def crash():
        raise ZeroDivisionError("boom")

    with qtbot.waitSignal(bridge.sig_error, timeout=5_000) as blocker:
        bridge.call(crash)
    assert user_message(blocker.args[1]) == UNEXPECTED
    assert "ZeroDivisionError" in caplog.text


def test_forgotten_calls_do_not_call_back(qtbot, bridge):
    called = []
    with qtbot.waitSignal(bridge.sig_result, timeout=5_000):
        request_id = bridge.call(lambda: 1, on_result=called.append)
        bridge.forget(request_id)
    assert called == []


def test_change_sets_are_broadcast(qtbot, bridge):
    change = ChangeSet(incidents=True, incident_ids=(7,))
    with qtbot.waitSignal(bridge.sig_changed, timeout=5_000) as blocker:
        bridge.call(lambda: ("something", change))
    assert blocker.args == [change]


def test_wait_for_returns_the_value_or_raises_the_error(qtbot, bridge):
    assert wait_for(bridge, lambda a, b: a + b, 2, 3) == 5

    def refuse():
        raise ValidationError("No.")

    with pytest.raises(ValidationError, match=r"^No\.$"):
        wait_for(bridge, refuse)


def test_wait_for_reports_progress(qtbot, bridge):
    reports = []
    bridge.sig_progress.connect(lambda rid, done, total: reports.append((done, total)))

    def work(progress):
        for step in range(1, 4):
            progress(step, 3)
        return "finished"

    assert wait_for(bridge, work, with_progress=True, label="Working…") == "finished"
    qtbot.waitUntil(lambda: (3, 3) in reports, timeout=5_000)


def test_an_answer_for_a_window_already_closed_goes_nowhere(qtbot, bridge):
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    gate = threading.Event()
    called = []
    with qtbot.waitSignal(bridge.sig_result, timeout=5_000):
        bridge.call(lambda: gate.wait(5) and "late", owner=label,
                    on_result=lambda v: called.append(label.setText(v)))
        label.deleteLater()
        qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(label), timeout=5_000)
        gate.set()
    assert called == []  # no "Internal C++ object already deleted" from the callback
