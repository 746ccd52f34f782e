"""An OCR engine in a spawned, persistent child process: the plumbing RapidOCR and Tesseract
share.

Why a child: the engine's memory (RapidOCR peaks at about 430 MB) stays out of the agent
process, and a crash in native code (onnxruntime, libtesseract) ends the child, not the agent.
Why persistent: loading a model costs more than reading a screen with it, so the child loads it
once and then reads one screen per request, until `stop`.

The child is spawned, not forked (a fork would copy the agent's memory and threads), started on
the owner's first read and fed over a multiprocessing Pipe. Each answer is `(True, result)` or
`(False, sentence)`; a `KestrelError` raised in the child keeps its own sentence, anything else
becomes "<engine> could not read the screen: <error>.". A child that failed once, or a read cut
short (Ctrl-C, a signal) that may have left an answer or half a screen in the pipe, is
discarded: the next read starts a fresh child, so it can never return the wrong screen's words.

Threading contract: an `EngineOwner` is used from one thread at a time (`read` blocks on the
child).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from app.errors import KestrelError

Handler = Callable[[Any], Any]  # must pickle: a module-level function or a partial of one


class EngineProcess:
    """A spawned child that runs `handler` on each request, one at a time."""

    def __init__(self, handler: Handler, *, label: str, name: str, timeout: float,
                 log: logging.Logger) -> None:
        self.label = label
        self.timeout = timeout
        self._log = log
        context = get_context("spawn")  # a fork would copy the agent's memory and threads
        self._conn, child_end = context.Pipe()
        self._process: BaseProcess = context.Process(
            target=_serve, args=(child_end, handler, label), name=name, daemon=True)
        self._process.start()
        child_end.close()

    def read(self, request: Any) -> Any:
        """The handler's answer to `request`; a `KestrelError` with a sentence when the child
        fails, ends or takes longer than the timeout."""
        try:
            self._conn.send(request)
            if not self._conn.poll(self.timeout):
                raise KestrelError(
                    f"{self.label} took more than {self.timeout} s to read the screen.")
            ok, answer = self._conn.recv()
        except (OSError, EOFError) as error:  # the child died (out of memory, killed)
            self._log.warning("the %s process ended mid-read: %r", self.label, error)
            raise KestrelError(f"{self.label} stopped while reading the screen (its process "
                               "ended); the next screen starts it again.") from error
        if not ok:
            raise KestrelError(str(answer))
        return answer

    def stop(self) -> None:
        self._conn.close()
        self._process.kill()
        self._process.join()


class EngineOwner:
    """Owns at most one `EngineProcess`, started on the first request and discarded on any
    failure. Subclasses say how to start it (`_start_child`).

    Thread-safe: one request at a time goes down the pipe (the agent's screen loop and typed
    worker share one engine; interleaved requests would get each other's answers)."""

    _child: EngineProcess | None = None
    _lock_guard = threading.Lock()
    _lock: threading.Lock | None = None

    def _start_child(self) -> EngineProcess:
        raise NotImplementedError

    def _ask(self, request: Any) -> Any:
        with self._serialised():
            if self._child is None:
                self._child = self._start_child()
            try:
                return self._child.read(request)
            except BaseException:
                # A child that failed once is not trusted with the next screen, and a read cut
                # short (Ctrl-C, a signal) leaves this screen's answer, or half of its pixels,
                # in the pipe: the next read would get the wrong screen's words.
                self._stop_child()
                raise

    def close(self) -> None:
        """End the child process and free its memory; the next read starts a new one."""
        with self._serialised():
            self._stop_child()

    def _stop_child(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None

    def _serialised(self) -> threading.Lock:
        with EngineOwner._lock_guard:  # one lock per owner, made on first use
            if self._lock is None:
                self._lock = threading.Lock()
            return self._lock


def _serve(conn: Connection, handler: Handler, label: str) -> None:
    """The child's loop: a request in, (True, answer) or (False, sentence) out, until the
    owner closes the pipe."""
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, handler(request)))
        except KestrelError as error:
            conn.send((False, str(error)))
        except Exception as error:  # engines raise bare Exceptions (missing models, ...)
            conn.send((False, f"{label} could not read the screen: {error}."))
