"""Typed text: the keyboard listener (pynput) feeding `TypingBuffer`, and what fires recorded.

The listener's callback only queues events (it runs on the input thread and must return at
once); a worker turns them into buffer events, notes window changes, runs the matcher on each
Check and, for a new match, takes the screenshot and finds the typed words on it — OCR of the
focused window only, which keeps keystroke-to-outbox well under a second. A match the OCR cannot
place is still recorded, without boxes.

The agent's own windows are never captured; password fields are not distinguishable through
X11 (a platform accessibility API would tell — noted for the Windows and macOS backends).

Threading: pynput's thread queues; one worker thread does the rest.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from dataclasses import replace
from typing import Any

from PIL import Image

from app.agent.recorder import Seen
from app.agent.screen import grab_screen
from app.agent.typing_buffer import Char, Check, Chord, Key, Modifier, TypingBuffer, Window
from app.agent.typing_buffer import WindowChanged as Focus
from app.agent.window import WindowInfo, active_window
from app.detection.boxes import boxes_for_span, layout_text
from app.detection.matcher import PhraseMatch
from app.domain.enums import Source
from app.domain.geometry import Box

log = logging.getLogger(__name__)
_SPECIAL = {"backspace": Key.BACKSPACE, "delete": Key.DELETE, "enter": Key.ENTER,
            "tab": Key.TAB, "left": Key.LEFT, "right": Key.RIGHT, "up": Key.UP,
            "down": Key.DOWN, "home": Key.HOME, "end": Key.END, "page_up": Key.PAGE_UP,
            "page_down": Key.PAGE_DOWN}
_MODIFIERS = {"ctrl": Modifier.CTRL, "ctrl_l": Modifier.CTRL, "ctrl_r": Modifier.CTRL,
              "alt": Modifier.ALT, "alt_l": Modifier.ALT, "alt_r": Modifier.ALT,
              "alt_gr": None, "cmd": Modifier.META, "cmd_l": Modifier.META,
              "cmd_r": Modifier.META, "shift": None, "shift_l": None, "shift_r": None}


class TypedSource:
    def __init__(self, agent: Any, stop: threading.Event) -> None:
        self.agent, self.stop_event = agent, stop
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=10_000)
        self.buffer = TypingBuffer()
        self.held: set[Modifier] = set()
        self.window: WindowInfo | None = None
        self._listener: Any = None
        self._worker = threading.Thread(target=self._work, name="kestrel-agent-typed",
                                        daemon=True)

    @classmethod
    def start(cls, agent: Any, stop: threading.Event) -> TypedSource | None:
        if not agent.policy.typed:
            return None
        source = cls(agent, stop)
        try:
            from pynput import keyboard  # needs a desktop session

            source._listener = keyboard.Listener(on_press=source._pressed,
                                                 on_release=source._released)
            source._listener.start()
        except Exception as exc:  # no display, no input permission: screen capture goes on
            log.warning("typed text is not captured here: %s", exc)
            return None
        source._worker.start()
        return source

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        self.events.put(("stop", None))
        self._worker.join(5)

    # --- the listener's thread: queue and return -------------------------------------------

    def _pressed(self, key: Any) -> None:
        self._queue("press", key)

    def _released(self, key: Any) -> None:
        self._queue("release", key)

    def _queue(self, kind: str, key: Any) -> None:
        # The worker stuck on OCR: drop keys rather than ever block the pupil's typing.
        with contextlib.suppress(queue.Full):
            self.events.put_nowait((kind, key))

    # --- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        while not self.stop_event.is_set():
            kind, key = self.events.get()
            if kind == "stop":
                return
            try:
                for check in self._feed(kind, key):
                    self._match(check)
            except Exception:
                log.exception("a typed-text check failed")  # never the text itself

    def _feed(self, kind: str, key: Any) -> list[Check]:
        name = getattr(key, "name", None)
        if name in _MODIFIERS:
            modifier = _MODIFIERS[name]
            if modifier is not None:
                (self.held.add if kind == "press" else self.held.discard)(modifier)
            return []
        if kind != "press" or not self.agent.policy.typed:
            return []
        checks = self._follow_focus()
        event = self._event(key, name)
        if event is not None:
            checks += self.buffer.feed(event)
        return checks

    def _follow_focus(self) -> list[Check]:
        window = active_window()
        if self.window is not None and window.id == self.window.id:
            return []
        self.window = window
        return self.buffer.feed(Focus(Window(window.id, window.title, window.app)))

    def _event(self, key: Any, name: str | None) -> Char | Key | Chord | None:
        char = getattr(key, "char", None)
        special = _SPECIAL.get(name or "") if char is None else None
        if name == "space":
            char = " "
        if self.held - {Modifier.SHIFT}:
            target: str | Key | None = char.lower() if char else special
            return Chord(target, frozenset(self.held)) if target is not None else None
        if char:
            return Char(char)
        return special

    def _match(self, check: Check) -> None:
        window = self._window_of(check)
        if window.is_agent or window.app in self.agent.policy.excluded_apps:
            return
        found = [m for m in self.agent.library.matcher.find(check.text)
                 if m.end >= check.new_from]
        if not found:
            return
        shift = len(check.context_before)
        text = check.context_before + check.text
        matches = tuple(replace(m, start=m.start + shift, end=m.end + shift) for m in found)
        screenshot = grab_screen()
        boxes = self._locate(screenshot, window, matches)
        self.agent.record(Seen(Source.TYPED, text, matches, window, boxes, screenshot))

    def _window_of(self, check: Check) -> WindowInfo:
        """The window the checked text was typed in — on a switch, the one being left (whose
        place on the screen is no longer known, so its words are looked for everywhere)."""
        if self.window is not None and self.window.id == check.window.id:
            return self.window
        return WindowInfo(check.window.id, check.window.title, check.window.app)

    def _locate(self, screenshot: Image.Image, window: WindowInfo,
                matches: tuple[PhraseMatch, ...]) -> dict[int, tuple[Box, ...]]:
        """Boxes of the typed words on the screenshot: OCR the focused window only."""
        x, y, w, h = window.frame or (0, 0, screenshot.width, screenshot.height)
        crop = screenshot.crop((max(0, x), max(0, y), min(screenshot.width, x + w),
                                min(screenshot.height, y + h)))
        try:
            ocr_text = layout_text(self.agent.ocr().read(crop))
        except Exception as exc:
            log.warning("typed words not located on the screenshot: %s", exc)
            return {}
        on_screen = self.agent.library.matcher.find(ocr_text.text)
        boxes: dict[int, tuple[Box, ...]] = {}
        for i, match in enumerate(matches):
            seen = next((s for s in on_screen if s.phrase_id == match.phrase_id), None)
            if seen is not None:
                boxes[i] = tuple(Box(b.x + max(0, x), b.y + max(0, y), b.w, b.h)
                                 for b in boxes_for_span(ocr_text, seen.start, seen.end))
        return boxes
