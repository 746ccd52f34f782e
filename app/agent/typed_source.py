"""Typed text: the keyboard listener (pynput) feeding `TypingBuffer`, and what fires recorded.

The listener's callback only queues events (it runs on the input thread and must return at
once); a worker turns them into buffer events, notes window changes, runs the matcher on each
Check and, for a new match, takes the screenshot and finds the typed words on it. A match the
OCR cannot place is still recorded, without boxes.

Window changes: every key press asks whether the focus moved (`focus_stamp`, one X round trip,
two without a window manager) and looks the window up (`active_window`, several) only when it
did — so a switch still splits the typing at the very key where it happened.

Finding the typed words: OCR of the focused window costs ~35 ms a line of text in it (Tesseract,
a window full of text several hundred ms), so it reads only what changed there. The last
reading of the screen — the screen loop's (`Agent.screen_memory`) or this source's own, whichever
is newer — is compared with the screenshot row by row over the window (`app.agent.changes`),
and `app.agent.carry` keeps the words whose rows did not change and says which bands to read:
usually just the line being typed. The phrase is matched over kept and new words together, as
the screen loop does. When no reading fits the screenshot, most of the window changed, or the
phrase is not found that way, the whole window is read as before.

The agent's own windows are never captured; password fields are not distinguishable through
X11 (a platform accessibility API would tell — noted for the Windows and macOS backends).

Threading: pynput's thread queues; one worker thread does the rest.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PIL import Image

from app.agent.carry import plan_reads
from app.agent.changes import Gray, compare
from app.agent.recorder import Seen
from app.agent.screen import ScreenWatcher, grab_screen
from app.agent.typing_buffer import Char, Check, Chord, Key, Modifier, TypingBuffer, Window
from app.agent.typing_buffer import WindowChanged as Focus
from app.agent.window import UNKNOWN, WindowInfo, active_window, focus_stamp
from app.detection.boxes import OcrText, layout_text
from app.detection.matcher import PhraseMatch
from app.detection.ocr import OcrWord
from app.domain.enums import Source
from app.domain.geometry import Box

log = logging.getLogger(__name__)
CHANGED_SHARE = 0.6  # more of the window than this changed since the last reading: read it all
_SPECIAL = {"backspace": Key.BACKSPACE, "delete": Key.DELETE, "enter": Key.ENTER,
            "tab": Key.TAB, "left": Key.LEFT, "right": Key.RIGHT, "up": Key.UP,
            "down": Key.DOWN, "home": Key.HOME, "end": Key.END, "page_up": Key.PAGE_UP,
            "page_down": Key.PAGE_DOWN}
_MODIFIERS = {"ctrl": Modifier.CTRL, "ctrl_l": Modifier.CTRL, "ctrl_r": Modifier.CTRL,
              "alt": Modifier.ALT, "alt_l": Modifier.ALT, "alt_r": Modifier.ALT,
              "alt_gr": None, "cmd": Modifier.META, "cmd_l": Modifier.META,
              "cmd_r": Modifier.META, "shift": None, "shift_l": None, "shift_r": None}


@dataclass(frozen=True)
class Remembered:
    """Words read off a screen (screen pixels), that screen in grey, and where on it every word
    is known (`region`: the whole screen for the screen loop's reading, one window for the typed
    source's own)."""

    gray: Gray
    words: tuple[OcrWord, ...]
    region: Box
    at: float = field(default_factory=time.monotonic)


class TypedSource:
    def __init__(self, agent: Any, stop: threading.Event) -> None:
        self.agent, self.stop_event = agent, stop
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=10_000)
        self.buffer = TypingBuffer()
        self.held: set[Modifier] = set()
        self.window: WindowInfo | None = None
        self._stamp: str | None = None  # `focus_stamp()` when `window` was looked up
        self._memory: Remembered | None = None  # the focused window as this source last read it
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
        stamp = focus_stamp()  # before the look-up: a move in between is seen at the next key
        if stamp is not None and stamp == self._stamp and self.window is not None:
            return []  # the focus has not moved since the window was looked up
        window = active_window()
        self._stamp = stamp if window.id != UNKNOWN.id else None  # a failed look-up: ask again
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
        boxes = self._locate(screenshot, self._frame(screenshot, window), matches)
        self.agent.record(Seen(Source.TYPED, text, matches, window, boxes, screenshot))

    def _window_of(self, check: Check) -> WindowInfo:
        """The window the checked text was typed in — on a switch, the one being left (whose
        place on the screen is no longer known, so its words are looked for everywhere)."""
        if self.window is not None and self.window.id == check.window.id:
            return self.window
        return WindowInfo(check.window.id, check.window.title, check.window.app)

    def _frame(self, screenshot: Image.Image, window: WindowInfo) -> Box:
        """Where `window` is on the screenshot (clipped to it; the whole screen when unknown).
        The focused window is asked again: it may have moved since it took the focus."""
        frame = window.frame
        if window is self.window:
            now = active_window()
            if now.id == window.id and now.frame is not None:
                frame = now.frame
        x, y, w, h = frame or (0, 0, screenshot.width, screenshot.height)
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(screenshot.width, x + w), min(screenshot.height, y + h)
        return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    def _locate(self, screenshot: Image.Image, frame: Box,
                matches: tuple[PhraseMatch, ...]) -> dict[int, tuple[Box, ...]]:
        """Boxes of the typed words on the screenshot (`frame`: the window they were typed
        in): from what changed there since the last reading, else by reading it whole."""
        if not (frame.w and frame.h):
            return {}  # the window is off the screen: nothing of it to point at
        try:
            found = self._locate_changes(screenshot, frame, matches)
        except Exception as exc:  # never lose the incident to this shortcut
            log.warning("typed words not located from the last reading: %s", exc)
            found = None
        return found if found is not None else self._locate_whole(screenshot, frame, matches)

    def _locate_changes(self, screenshot: Image.Image, frame: Box,
                        matches: tuple[PhraseMatch, ...]) -> dict[int, tuple[Box, ...]] | None:
        """Read only the rows of the window that changed since the newest reading that covers
        it; None when there is no such reading, most of the window changed, or a match was not
        found (the caller then reads the window whole)."""
        memory = self._last_reading(screenshot, frame)
        if memory is None:
            return None
        gray: Gray = np.asarray(screenshot.convert("L"), dtype=np.uint8)
        inside = [w for w in memory.words if _within(w.box, frame)]
        plan = plan_reads([compare(memory.gray, gray, frame)], inside, screenshot.size)
        boxes = [b for b in (_clip(box, frame) for box in plan.boxes) if b.w and b.h]
        if sum(b.w * b.h for b in boxes) > CHANGED_SHARE * frame.w * frame.h:
            return None
        fresh = _Reader(self.agent.ocr()).words(screenshot, gray, boxes)
        words = (*plan.kept, *fresh)
        self._memory = Remembered(gray, words, frame)
        found = self._boxes(layout_text(words), matches, fresh, complete=True)
        log.debug("typed words %s from %d changed band(s) (%d px high) and %d kept words",
                  "placed" if found is not None else "not found", len(boxes),
                  sum(b.h for b in boxes), len(plan.kept))
        return found

    def _last_reading(self, screenshot: Image.Image, frame: Box) -> Remembered | None:
        """The newer of the screen loop's reading and this source's own that show the same
        screen size and know every word of `frame`."""
        fits = [m for m in (getattr(self.agent, "screen_memory", None), self._memory)
                if m is not None and m.gray.shape == (screenshot.height, screenshot.width)
                and _within(frame, m.region)]
        return max(fits, key=lambda m: m.at, default=None)

    def _locate_whole(self, screenshot: Image.Image, frame: Box,
                      matches: tuple[PhraseMatch, ...]) -> dict[int, tuple[Box, ...]]:
        """Boxes of the typed words on the screenshot: OCR the whole window."""
        crop = screenshot.crop((frame.x, frame.y, frame.x + frame.w, frame.y + frame.h))
        try:
            read = self.agent.ocr().read(crop)
        except Exception as exc:
            log.warning("typed words not located on the screenshot: %s", exc)
            return {}
        words = [replace(w, box=Box(w.box.x + frame.x, w.box.y + frame.y, w.box.w, w.box.h))
                 for w in read]
        self._memory = Remembered(np.asarray(screenshot.convert("L"), dtype=np.uint8),
                                  tuple(words), frame)
        return self._boxes(layout_text(words), matches, words, complete=False) or {}

    def _boxes(self, ocr_text: OcrText, matches: tuple[PhraseMatch, ...],
               fresh: Sequence[OcrWord], complete: bool) -> dict[int, tuple[Box, ...]] | None:
        """The boxes of each typed match's phrase as found in `ocr_text` — where it occurs more
        than once, preferably the one with freshly read words (what was just typed). None when
        `complete` and a match is not found."""
        new = {id(word) for word in fresh}
        on_screen = self.agent.library.matcher.find(ocr_text.text)
        boxes: dict[int, tuple[Box, ...]] = {}
        for i, match in enumerate(matches):
            spans = [(s.start, s.end) for s in on_screen if s.phrase_id == match.phrase_id]
            touched = [[w for w, (a, b) in zip(ocr_text.words, ocr_text.spans, strict=True)
                        if a < end and start < b] for start, end in spans]
            best = next((words for words in touched if any(id(w) in new for w in words)),
                        touched[0] if touched else None)
            if best is None:
                if complete:
                    return None
                continue
            boxes[i] = tuple(w.box for w in best)
        return boxes


class _Reader(ScreenWatcher):
    """Reads boxes of a screen as the screen loop does (solid edges painted out, a border of
    background added), without a memory of its own."""

    def words(self, image: Image.Image, gray: Gray, boxes: Sequence[Box]) -> list[OcrWord]:
        return [word for box in boxes for word in self._read_box(image, gray, box)]


def _within(inner: Box, outer: Box) -> bool:
    return outer.x <= inner.x and outer.y <= inner.y and \
        inner.x + inner.w <= outer.x + outer.w and inner.y + inner.h <= outer.y + outer.h


def _clip(box: Box, frame: Box) -> Box:
    x0, y0 = max(box.x, frame.x), max(box.y, frame.y)
    x1 = min(box.x + box.w, frame.x + frame.w)
    y1 = min(box.y + box.h, frame.y + frame.h)
    return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))
