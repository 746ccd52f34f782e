"""Typed-text capture: turn key events into the moments and the text the matcher should see.

A keyboard listener (pynput, elsewhere) feeds `TypingBuffer.feed()` one event at a time; each
call returns the `Check`s to run, so that what the matcher reads is what the pupil typed, as it
now stands. One buffer is kept per window; a buffer holds the current *segment* (text typed
since the caret was last known to be at its end) plus earlier text kept only as context.

Policies:
- When: a Check runs at each word end (whitespace or punctuation typed right after a letter,
  digit, mark or symbol — emoji count as word characters, so a lone emoji entry fires), at
  ENTER and TAB, at a cursor movement, paste or other unknown chord, and when the window
  changes (the window being left is checked one last time; its buffer is kept, so switching
  back continues it). A Check never repeats the previous one for unchanged text (SPACE SPACE).
- Deleting: BACKSPACE edits the segment before anything is matched, and matching happens only
  at a word end on the text as it then stands. So `kill yourseld` + BACKSPACE + `f` + SPACE
  fires on "kill yourself", while `kill yourse` + 5×BACKSPACE + SPACE fires on nothing: a
  phrase typed and deleted before its word ended is never reported. Ctrl/Alt+BACKSPACE deletes
  the previous word, Cmd+BACKSPACE the segment. Ctrl/Cmd+A then typing (or BACKSPACE, DELETE,
  Ctrl+X, paste) replaces the segment without a Check: the old text was deleted, not sent.
- Caret: the agent cannot see where the caret goes, so a cursor key (arrows, HOME/END, PAGE
  keys, a mouse CLICK), a paste, undo or any unknown chord ends the segment — a final Check of
  what is there — and typing starts a fresh one. BACKSPACE on an empty segment is ignored (the
  characters before the caret are unknown) and DELETE never changes the buffer (the caret is
  taken to be at the end of what we know).
- ENTER (chat messages are sent with it): Check, then a new segment starts; the earlier text
  stays as `context_before` of later Checks but is never matched again.
- Memory: a segment keeps at most 2×max_chars characters (trimmed from the front, so a Check's
  text is at most max_chars), context at most context_chars, and at most max_windows buffers
  (least recently used dropped). Each feed is O(1) amortised apart from building a Check.

Threading: not thread-safe and does no I/O; one owner (the listener's consumer) calls feed().
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum


class Key(Enum):
    """A non-printing key. CLICK is a mouse click in the focused window (the caret may move)."""

    BACKSPACE = "backspace"
    DELETE = "delete"
    ENTER = "enter"
    TAB = "tab"
    LEFT = "left"
    RIGHT = "right"
    UP = "up"
    DOWN = "down"
    HOME = "home"
    END = "end"
    PAGE_UP = "page_up"
    PAGE_DOWN = "page_down"
    CLICK = "click"


class Modifier(Enum):
    """A held modifier. META is Cmd on macOS and the Windows key elsewhere."""

    CTRL = "ctrl"
    ALT = "alt"
    META = "meta"
    SHIFT = "shift"


@dataclass(frozen=True)
class Char:
    """Printable text typed by one key press (usually one code point; an IME may send more)."""

    text: str


@dataclass(frozen=True)
class Chord:
    """A key pressed with modifiers, as the listener saw it: Ctrl+A is `Chord.ctrl("a")`."""

    key: str | Key
    modifiers: frozenset[Modifier]

    @classmethod
    def ctrl(cls, key: str | Key) -> Chord:
        return cls(key, frozenset({Modifier.CTRL}))


@dataclass(frozen=True)
class Window:
    """The focused window. A listener that wants browser tabs kept apart puts the tab in `id`."""

    id: str
    title: str = ""
    app: str = ""


@dataclass(frozen=True)
class WindowChanged:
    """Focus moved to `window` (a new title for the same id only updates the title)."""

    window: Window


KeyEvent = Char | Key | Chord | WindowChanged


@dataclass(frozen=True)
class Check:
    """Run the matcher over `text` (the segment as it now stands, at most max_chars).

    `context_before` is up to context_chars of what was typed in this window before `text`.
    `new_from` is where `text` first differs from the previous Check of the same segment: a
    match ending before it was already seen there, so `match.end >= new_from` means new.
    """

    window: Window
    text: str
    context_before: str
    new_from: int = 0
    context_chars: int = field(default=300, repr=False)

    @property
    def window_id(self) -> str:
        return self.window.id

    def around(self, start: int, end: int) -> tuple[str, str]:
        """(before, after): up to context_chars either side of `text[start:end]`, for an
        incident. After a match only the rest of `text` is known; nothing follows the caret."""
        before = _tail(self.context_before + self.text[:start], self.context_chars)
        return before, self.text[end:end + self.context_chars]


UNKNOWN_WINDOW = Window("")
_HARMLESS_CHORDS = frozenset("cbius")  # copy, bold, italic, underline, save: text unchanged
_BREAK = " … "  # marks a caret jump inside context_before
_ZWJ = "\u200d"


def _tail(text: str, n: int) -> str:
    """The last `n` characters of `text` (`text[-0:]` would be all of it)."""
    return text[len(text) - n:] if n < len(text) else text


def _shared_prefix(a: str, b: str) -> int:
    """How many leading characters `a` and `b` have in common."""
    if b.startswith(a):
        return len(a)  # the usual case, typing on: skip the Python loop
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _is_separator(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PZ"


def _is_extender(ch: str) -> bool:
    """A code point that belongs to the character before it (marks, ZWJ, VS, skin tones)."""
    return (unicodedata.category(ch) in ("Mn", "Me") or ch == _ZWJ or "\ufe00" <= ch <= "\ufe0f"
            or "\U0001f3fb" <= ch <= "\U0001f3ff" or "\U000e0020" <= ch <= "\U000e007f")


def _delete_character(seg: list[str]) -> None:
    """Remove the last user-perceived character (approximately one grapheme cluster)."""
    while seg:
        ch = seg.pop()
        if seg and (_is_extender(ch) or seg[-1] == _ZWJ):
            continue
        if seg and "\U0001f1e6" <= ch <= "\U0001f1ff" and "\U0001f1e6" <= seg[-1] <= "\U0001f1ff":
            seg.pop()  # the other half of a flag
        return


def _delete_word(seg: list[str]) -> None:
    """Ctrl+Backspace: trailing spaces, then a run of word characters (or of punctuation)."""
    while seg and seg[-1].isspace():
        seg.pop()
    word = bool(seg) and not _is_separator(seg[-1])
    while seg and not seg[-1].isspace() and _is_separator(seg[-1]) != word:
        seg.pop()


class _Buffer:
    """One window's state. `dropped` counts characters trimmed off the segment's front."""

    __slots__ = ("dropped", "history", "last_start", "last_text", "segment", "selected", "window")

    def __init__(self, window: Window) -> None:
        self.window = window
        self.segment: list[str] = []
        self.history = ""
        self.dropped = 0
        self.last_text: str | None = None
        self.last_start = 0
        self.selected = False

    def restart(self) -> None:
        self.segment, self.dropped, self.last_text, self.selected = [], 0, None, False


class TypingBuffer:
    """Per-window typed-text buffers; `feed(event)` returns the Checks that event causes."""

    def __init__(self, max_chars: int = 2000, context_chars: int = 300,
                 max_windows: int = 64) -> None:
        if max_chars < 1 or context_chars < 0 or max_windows < 1:
            raise ValueError("max_chars and max_windows must be positive, context_chars >= 0")
        self.max_chars, self.context_chars, self.max_windows = (max_chars, context_chars,
                                                                max_windows)
        self._buffers: OrderedDict[str, _Buffer] = OrderedDict()
        self._active = UNKNOWN_WINDOW.id
        self._buffers[self._active] = _Buffer(UNKNOWN_WINDOW)

    @property
    def window_ids(self) -> list[str]:
        """Ids of the windows with a buffer, least recently focused first."""
        return list(self._buffers)

    def feed(self, event: KeyEvent) -> list[Check]:
        buf = self._buffers[self._active]
        if isinstance(event, WindowChanged):
            return self._focus(buf, event.window)
        if isinstance(event, Char):
            return self._type(buf, event.text)
        if isinstance(event, Chord):
            return self._chord(buf, event)
        return self._key(buf, event)

    def _focus(self, buf: _Buffer, window: Window) -> list[Check]:
        if window.id == self._active:
            buf.window = window
            return []
        checks = self._check(buf)
        buf.selected = False
        target = self._buffers.pop(window.id, None) or _Buffer(window)
        target.window = window
        self._buffers[window.id] = target
        self._active = window.id
        while len(self._buffers) > self.max_windows:
            self._buffers.popitem(last=False)
        return checks

    def _type(self, buf: _Buffer, text: str) -> list[Check]:
        checks: list[Check] = []
        word_end = False
        for ch in text:
            if ch in "\r\n\t":
                checks += self._key(buf, Key.TAB if ch == "\t" else Key.ENTER)
                word_end = False
                continue
            if unicodedata.category(ch) == "Cc":
                continue  # some platforms report Ctrl+C as "\x03"; the chord is what counts
            if buf.selected:
                buf.restart()
            seg = buf.segment
            word_end |= bool(seg) and _is_separator(ch) and not _is_separator(seg[-1])
            seg.append(ch)
            if len(seg) > 2 * self.max_chars:
                self._trim(buf)
        return checks + self._check(buf) if word_end else checks

    def _trim(self, buf: _Buffer) -> None:
        cut = len(buf.segment) - self.max_chars
        kept = "".join(buf.segment[max(0, cut - self.context_chars):cut])
        buf.history = _tail(buf.history + kept, self.context_chars)
        del buf.segment[:cut]
        buf.dropped += cut

    def _key(self, buf: _Buffer, key: Key) -> list[Check]:
        if key in (Key.BACKSPACE, Key.DELETE):
            if buf.selected:
                buf.restart()
            elif key is Key.BACKSPACE:
                _delete_character(buf.segment)
            return []
        separator = {Key.ENTER: "\n", Key.TAB: "\t"}.get(key, _BREAK)
        return self._end_segment(buf, separator)

    def _chord(self, buf: _Buffer, chord: Chord) -> list[Check]:
        mods, key = chord.modifiers, chord.key
        primary = bool(mods & {Modifier.CTRL, Modifier.META})
        if isinstance(key, Key):
            if key is not Key.BACKSPACE or buf.selected or not mods - {Modifier.SHIFT}:
                return self._key(buf, key)
            if Modifier.META in mods:
                buf.segment.clear()
            else:
                _delete_word(buf.segment)
            return []
        if not primary and Modifier.ALT not in mods:
            return self._type(buf, key)  # Shift+letter reported as a chord: just typing
        # pynput on Windows reports Ctrl+A as the control character "\x01": read it as "a".
        letter = chr(ord(key) + 96) if len(key) == 1 and "\x01" <= key <= "\x1a" else key.lower()
        if primary and letter == "a":
            buf.selected = True
            return []
        if primary and letter in _HARMLESS_CHORDS:
            return []
        if primary and letter in ("x", "v") and buf.selected:
            buf.restart()  # the whole field was cut, or replaced by text we cannot see
        return self._end_segment(buf, _BREAK)

    def _end_segment(self, buf: _Buffer, separator: str) -> list[Check]:
        checks = self._check(buf)
        if buf.segment:
            tail = "".join(buf.segment[-self.context_chars:]) + separator
            buf.history = _tail(buf.history + tail, self.context_chars)
        buf.restart()
        return checks

    def _check(self, buf: _Buffer) -> list[Check]:
        seg = buf.segment
        text = "".join(seg[-self.max_chars:])
        start = buf.dropped + len(seg) - len(text)
        if not text or text.isspace() or (text == buf.last_text and start == buf.last_start):
            return []
        new_from = 0
        if buf.last_text is not None and start >= buf.last_start:
            new_from = _shared_prefix(buf.last_text[start - buf.last_start:], text)
        buf.last_text, buf.last_start = text, start
        before = "".join(seg[max(0, len(seg) - len(text) - self.context_chars):
                             len(seg) - len(text)])
        context = _tail(buf.history + before, self.context_chars)
        return [Check(buf.window, text, context, new_from, self.context_chars)]
