"""The one bridge between the database executor and the GUI thread (STYLE rule 5).

Every service call the UI makes goes through `ServiceBridge.call`: the callable runs on the single
`DbExecutor` thread and its outcome comes back to the GUI thread as a queued signal. Each call
gets a request id, so a view that has since asked again can ignore a stale answer.

Threading: construct and use the bridge on the GUI thread. Worker threads only ever emit its
private `_sig_done` / `_sig_progress` signals (queued), and never touch a widget.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import shiboken6
from PySide6.QtCore import QEventLoop, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.errors import KestrelError
from app.events import ChangeSet
from app.services.executor import DbExecutor

log = logging.getLogger(__name__)

UNEXPECTED = ("Something unexpected went wrong. Nothing more was changed; the details are in "
              "Kestrel's log.")
PROGRESS_DELAY_MS = 600  # DESIGN §3: show progress only for work that takes a noticeable time

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


def user_message(exc: BaseException) -> str:
    """The sentence to show a person for an error: a KestrelError's own text, never a trace."""
    return str(exc) if isinstance(exc, KestrelError) else UNEXPECTED


class ServiceBridge(QObject):
    """Runs callables on the DB executor and reports their outcome on the GUI thread.

    `sig_result(request_id, value)` and `sig_error(request_id, exception)` fire for every call
    (after its callbacks); `sig_changed(ChangeSet)` fires whenever a call returns a change set,
    so screens can decide whether to refresh."""

    sig_result = Signal(int, object)
    sig_error = Signal(int, object)
    sig_progress = Signal(int, int, int)  # request id, done, total
    sig_changed = Signal(object)
    _sig_done = Signal(int, object, object)
    _sig_worker_progress = Signal(int, int, int)

    def __init__(self, executor: DbExecutor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[ResultCallback | None, ErrorCallback | None]] = {}
        self._owners: dict[int, QObject] = {}
        self._sig_done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._sig_worker_progress.connect(self.sig_progress,
                                          Qt.ConnectionType.QueuedConnection)
        self._closed = False

    @property
    def executor(self) -> DbExecutor:
        """The DB executor this bridge submits to (the receiver shares it: one writer)."""
        return self._executor

    @property
    def pending(self) -> int:
        """How many calls have not reported back yet."""
        return len(self._callbacks)

    def call(self, fn: Callable[..., Any], *args: Any, on_result: ResultCallback | None = None,
             on_error: ErrorCallback | None = None, with_progress: bool = False,
             owner: QObject | None = None, **kwargs: Any) -> int:
        """Submit `fn(*args, **kwargs)` to the executor; return the request id at once.

        With `with_progress`, `fn` also receives `progress=callable(done, total)`, whose reports
        arrive as `sig_progress(request_id, done, total)`. With `owner`, the callbacks are
        dropped if that widget has been deleted by the time the answer arrives (a window
        closed while its request was in flight)."""
        request_id = next(self._ids)
        if self._closed:  # shutting down: the executor may already be gone
            return request_id
        self._callbacks[request_id] = (on_result, on_error)
        if owner is not None:
            self._owners[request_id] = owner
        if with_progress:
            kwargs["progress"] = self.progress_callback(request_id)
        future = self._executor.submit(fn, *args, **kwargs)
        future.add_done_callback(lambda f: self._finished(request_id, f))
        return request_id

    def progress_callback(self, request_id: int) -> Callable[[int, int], None]:
        """A thread-safe `progress(done, total)` for work that reports progress."""
        def report(done: int, total: int) -> None:
            self._emit_safely(self._sig_worker_progress.emit, request_id, done, total)
        return report

    def forget(self, request_id: int) -> None:
        """Drop the callbacks of a call whose answer is no longer wanted."""
        self._callbacks.pop(request_id, None)
        self._owners.pop(request_id, None)

    def close(self) -> None:
        """Stop delivering: later answers are dropped (used when the window goes away)."""
        self._closed = True
        self._callbacks.clear()

    # -- worker thread -------------------------------------------------------------------
    def _finished(self, request_id: int, future: Future[Any]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        value = None if exc is not None else future.result()
        self._emit_safely(self._sig_done.emit, request_id, value, exc)

    @staticmethod
    def _emit_safely(emit: Callable[..., None], *args: Any) -> None:
        try:
            emit(*args)
        except RuntimeError:  # the bridge was deleted while the call ran (shutdown)
            log.debug("bridge gone; dropping a late answer")

    # -- GUI thread ----------------------------------------------------------------------
    @Slot(int, object, object)
    def _deliver(self, request_id: int, value: object, exc: object) -> None:
        if self._closed:
            return
        on_result, on_error = self._callbacks.pop(request_id, (None, None))
        owner = self._owners.pop(request_id, None)
        if owner is not None and not shiboken6.isValid(owner):
            on_result = on_error = None  # its window is gone; the answer goes nowhere
        if isinstance(exc, BaseException):
            if not isinstance(exc, KestrelError):
                log.error("service call %s failed", request_id, exc_info=exc)
            if on_error is not None:
                on_error(exc)
            self.sig_error.emit(request_id, exc)
            return
        if on_result is not None:
            on_result(value)
        self.sig_result.emit(request_id, value)
        change = value if isinstance(value, ChangeSet) else getattr(value, "change", None)
        if not isinstance(change, ChangeSet):
            change = None
        if isinstance(value, tuple):
            change = next((v for v in value if isinstance(v, ChangeSet)), None)
        if change is not None:
            self.sig_changed.emit(change)


def wait_for(bridge: ServiceBridge, fn: Callable[..., Any], *args: Any,
             label: str | None = None, parent: QWidget | None = None,
             with_progress: bool = False, **kwargs: Any) -> Any:
    """Run `fn` on the executor while the GUI keeps painting; return its result or raise.

    Used for the start-up steps (open, sign in, create the demo) that must finish before the
    next screen can exist. With `label`, a progress dialog appears if the work takes more than
    600 ms; with `with_progress`, `fn` also receives `progress=callable(done, total)`."""
    loop = QEventLoop()
    outcome: dict[str, Any] = {}
    dialog = _progress_dialog(label, parent) if label else None

    def done(value: Any) -> None:
        outcome["value"] = value
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    request_id = bridge.call(fn, *args, on_result=done, on_error=failed,
                             with_progress=with_progress, **kwargs)

    def progressed(rid: int, value: int, total: int) -> None:
        if dialog is not None and rid == request_id and total > 0:
            dialog.setMaximum(total)
            dialog.setValue(min(value, total))

    bridge.sig_progress.connect(progressed)
    try:
        loop.exec()
    finally:
        bridge.sig_progress.disconnect(progressed)
        if dialog is not None:
            dialog.reset()  # also stops its pending "show after 600 ms" timer
            dialog.close()
            dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _progress_dialog(label: str, parent: QWidget | None) -> QProgressDialog:
    """A quiet progress dialog that shows itself only after PROGRESS_DELAY_MS."""
    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setWindowTitle("Kestrel")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumWidth(380)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumDuration(PROGRESS_DELAY_MS)
    return dialog
