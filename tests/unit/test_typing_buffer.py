"""The typed-text buffer: when the agent matches, on what text, and what it forgets.

Events are fed as a listener would send them; the shipped phrase library proves the Checks are
what the matcher needs (a typo fixed with BACKSPACE fires, a phrase deleted before its word
ended does not). A hypothesis property compares every Check with a plain string model.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent.typing_buffer import (
    Char,
    Check,
    Chord,
    Key,
    KeyEvent,
    Modifier,
    TypingBuffer,
    Window,
    WindowChanged,
)
from app.detection.library import load_library
from app.detection.matcher import Matcher
from app.paths import RESOURCES

CHAT = Window("w-chat", "Chat — Teams", "teams.exe")
DOCS = Window("w-docs", "Essay — Word", "winword.exe")


def typed(text: str) -> list[KeyEvent]:
    return [Char(ch) for ch in text]


def run(buffer: TypingBuffer, *parts: str | KeyEvent | Sequence[KeyEvent]) -> list[Check]:
    """Feed strings as typed characters and events as they are; all Checks, in order."""
    checks: list[Check] = []
    for part in parts:
        events: Iterable[KeyEvent]
        if isinstance(part, str):
            events = typed(part)
        elif isinstance(part, Sequence):
            events = part
        else:
            events = [part]
        for event in events:
            checks += buffer.feed(event)
    return checks


def texts(checks: Iterable[Check]) -> list[str]:
    return [c.text for c in checks]


BS = Key.BACKSPACE


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.compile(load_library(RESOURCES / "phrases"))


# --- backspace policy ----------------------------------------------------------------------------

def test_typo_fixed_with_backspace_before_word_end_fires_on_corrected_phrase(
        matcher: Matcher) -> None:
    checks = run(TypingBuffer(), "you should kill yourseld", BS, "f ")
    assert texts(checks)[-1] == "you should kill yourself "
    assert not any(m.text == "kill yourself" for c in checks[:-1] for m in matcher.find(c.text))
    assert [m.text for m in matcher.find(checks[-1].text)] == ["kill yourself"]


def test_phrase_deleted_before_its_word_ended_never_reaches_the_matcher(
        matcher: Matcher) -> None:
    checks = run(TypingBuffer(), "you should kill yourse", [BS] * 5, " ")
    assert texts(checks) == ["you ", "you should ", "you should kill ", "you should kill y "]
    assert not any(matcher.find(c.text) for c in checks)


def test_backspace_on_empty_segment_is_ignored_and_delete_changes_nothing() -> None:
    buffer = TypingBuffer()
    assert run(buffer, [BS, BS], "hi", Key.DELETE, " ") == run(TypingBuffer(), "hi ")


# --- when a Check happens ------------------------------------------------------------------------

def test_word_end_is_whitespace_or_punctuation_after_a_word_character() -> None:
    checks = run(TypingBuffer(), "kill", " ", "you", ".", "  ", "!!", "ok,")
    assert texts(checks) == ["kill ", "kill you.", "kill you.  !!ok,"]


def test_repeated_separators_do_not_check_the_same_text_twice() -> None:
    buffer = TypingBuffer()
    assert texts(run(buffer, "hello  ")) == ["hello "]
    assert run(buffer, BS, " ") == []  # same text again after an edit


def test_enter_checks_the_message_and_keeps_it_as_context_for_the_next() -> None:
    buffer = TypingBuffer()
    first = run(buffer, "meet me after school", Key.ENTER)
    assert texts(first)[-1] == "meet me after school"
    assert run(buffer, Key.ENTER, Key.ENTER) == []
    second = run(buffer, "or else ")
    assert texts(second) == ["or ", "or else "]
    assert second[-1].context_before == "meet me after school\n"


def test_enter_inside_typed_text_and_tab_both_end_the_segment() -> None:
    buffer = TypingBuffer()
    assert texts(run(buffer, Char("one\ntwo"), Key.TAB)) == ["one", "two"]
    assert texts(run(buffer, "x ")) == ["x "]


def test_control_characters_from_the_listener_are_ignored() -> None:
    assert texts(run(TypingBuffer(), "ab", Char("\x03"), "c ")) == ["abc "]


# --- windows -------------------------------------------------------------------------------------

def test_leaving_a_window_checks_it_and_returning_continues_its_text(matcher: Matcher) -> None:
    buffer = TypingBuffer()
    run(buffer, WindowChanged(CHAT))
    left = run(buffer, "kill your", WindowChanged(DOCS))
    assert [(c.window, c.text) for c in left] == [(CHAT, "kill "), (CHAT, "kill your")]
    assert texts(run(buffer, "essay ")) == ["essay "]
    back = run(buffer, WindowChanged(CHAT), "self ")
    assert back[-1].window == CHAT
    assert [m.text for m in matcher.find(back[-1].text)] == ["kill yourself"]


def test_switching_away_again_without_typing_checks_nothing() -> None:
    buffer = TypingBuffer()
    run(buffer, WindowChanged(CHAT), "hello", WindowChanged(DOCS))
    assert run(buffer, WindowChanged(CHAT), WindowChanged(DOCS)) == []


def test_new_title_for_the_same_window_updates_it_without_a_check() -> None:
    buffer = TypingBuffer()
    renamed = Window(CHAT.id, "Chat (1) — Teams", CHAT.app)
    assert run(buffer, WindowChanged(CHAT), "hi", WindowChanged(renamed)) == []
    assert run(buffer, " ")[0].window == renamed


def test_least_recently_used_windows_are_dropped_beyond_the_cap() -> None:
    buffer = TypingBuffer(max_windows=3)
    for n in range(5):
        run(buffer, WindowChanged(Window(f"w{n}")), f"text{n}")
    assert buffer.window_ids == ["w2", "w3", "w4"]
    assert texts(run(buffer, WindowChanged(Window("w0")), "again ")) == ["text4", "again "]


# --- caret and chords ----------------------------------------------------------------------------

@pytest.mark.parametrize("move", [Key.LEFT, Key.UP, Key.HOME, Key.PAGE_DOWN, Key.CLICK,
                                  Chord(Key.RIGHT, frozenset({Modifier.SHIFT}))])
def test_cursor_movement_ends_the_segment(move: KeyEvent) -> None:
    buffer = TypingBuffer()
    checks = run(buffer, "kill", move, "yourself ")
    assert texts(checks) == ["kill", "yourself "]
    assert checks[-1].context_before == "kill … "


def test_select_all_then_typing_replaces_the_text_without_checking_it(matcher: Matcher) -> None:
    buffer = TypingBuffer()
    checks = run(buffer, "kill yourself", Chord.ctrl("a"), Chord.ctrl("c"), "hello ")
    assert texts(checks) == ["kill ", "hello "]
    assert not any(matcher.find(c.text) for c in checks)
    assert texts(run(buffer, "there ")) == ["hello there "]


@pytest.mark.parametrize("delete", [BS, Key.DELETE, Chord.ctrl("x"), Chord.ctrl(BS)])
def test_select_all_then_delete_clears_the_text(delete: KeyEvent) -> None:
    buffer = TypingBuffer()
    run(buffer, "kill yourself", Chord.ctrl("a"), delete)
    assert run(buffer, Key.ENTER) == []


def test_select_all_then_enter_or_a_move_checks_what_is_there() -> None:
    assert texts(run(TypingBuffer(), "go away", Chord.ctrl("a"), Key.ENTER)) == ["go ", "go away"]
    assert texts(run(TypingBuffer(), "go away", Chord.ctrl("a"), Key.END)) == ["go ", "go away"]


def test_word_delete_chords_remove_the_previous_word(matcher: Matcher) -> None:
    buffer = TypingBuffer()
    checks = run(buffer, "kill yourself now", Chord.ctrl(BS), Chord.ctrl(BS), "them ")
    assert texts(checks)[-1] == "kill them "
    alt = Chord(BS, frozenset({Modifier.ALT}))
    assert texts(run(TypingBuffer(), "stop it!!", alt, " ")) == ["stop ", "stop it!", "stop it "]
    cmd = Chord(BS, frozenset({Modifier.META}))
    assert texts(run(TypingBuffer(), "whole line", cmd, "new ")) == ["whole ", "new "]


def test_paste_and_undo_end_the_segment_but_copy_does_not() -> None:
    assert texts(run(TypingBuffer(), "abc", Chord.ctrl("c"), "d ")) == ["abcd "]
    assert texts(run(TypingBuffer(), "abc", Chord.ctrl("v"), "d ")) == ["abc", "d "]
    assert texts(run(TypingBuffer(), "abc", Chord.ctrl("z"), "d ")) == ["abc", "d "]


def test_control_character_chords_are_read_as_their_letters() -> None:
    ctrl_a = Chord("\x01", frozenset({Modifier.CTRL}))
    assert texts(run(TypingBuffer(), "kill yourself", ctrl_a, "hi ")) == ["kill ", "hi "]


def test_shift_letter_reported_as_a_chord_is_typing() -> None:
    shift_a = Chord("A", frozenset({Modifier.SHIFT}))
    assert texts(run(TypingBuffer(), "b", shift_a, " ")) == ["bA "]


# --- memory --------------------------------------------------------------------------------------

def test_long_typing_is_trimmed_from_the_front_and_kept_as_context() -> None:
    buffer = TypingBuffer(max_chars=10, context_chars=6)
    checks = run(buffer, "abcdefghij" * 10, " ")
    assert checks[-1].text == "bcdefghij "
    assert checks[-1].context_before == "efghija"[-6:]
    assert all(len(b.segment) <= 20 for b in buffer._buffers.values())


def test_check_text_is_the_last_max_chars_and_context_the_text_before() -> None:
    check = run(TypingBuffer(max_chars=8, context_chars=4), "one two three ")[-1]
    assert (check.text, check.context_before) == ("two three "[-8:], "e tw")


# --- emoji and non-BMP ---------------------------------------------------------------------------

def test_emoji_count_as_word_characters_so_a_lone_emoji_is_checked() -> None:
    assert texts(run(TypingBuffer(), "🍆 ", "👉👌!")) == ["🍆 ", "🍆 👉👌!"]


def test_mathematical_letters_are_word_characters(matcher: Matcher) -> None:
    check = run(TypingBuffer(), "𝐤𝐢𝐥𝐥 𝐲𝐨𝐮𝐫𝐬𝐞𝐥𝐟 ")[-1]
    assert [m.text for m in matcher.find(check.text)] == ["𝐤𝐢𝐥𝐥 𝐲𝐨𝐮𝐫𝐬𝐞𝐥𝐟"]


@pytest.mark.parametrize("emoji", ["👨\u200d👩\u200d👧", "👍🏽", "🇬🇧", "❤\ufe0f", "e\u0301"])
def test_backspace_removes_a_whole_emoji_or_accented_letter(emoji: str) -> None:
    assert texts(run(TypingBuffer(), "ok", Char(emoji), BS, " ")) == ["ok "]


# --- what the consumer needs ---------------------------------------------------------------------

def test_new_from_lets_the_consumer_report_each_match_once(matcher: Matcher) -> None:
    checks = run(TypingBuffer(), "you should kill yourself and go ", Key.ENTER)
    fresh = [(c.text, m.text) for c in checks for m in matcher.find(c.text)
             if m.end >= c.new_from]
    assert fresh == [("you should kill yourself ", "kill yourself")]


def test_around_gives_context_either_side_of_a_match() -> None:
    buffer = TypingBuffer(context_chars=8)
    check = run(buffer, "earlier msg", Key.ENTER, "you are a loser ok ")[-1]
    start = check.text.index("loser")
    assert check.around(start, start + 5) == ("\nyou are a "[-8:], " ok ")


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        TypingBuffer(max_chars=0)
    with pytest.raises(ValueError):
        TypingBuffer(max_windows=0)


# --- property: every Check is what a plain string model holds ------------------------------------

_SEP_CHARS = " .!,_'\t\n"


@dataclass
class _ModelWindow:
    text: str = ""
    selected: bool = False
    peak: int = 0


class Model:
    """Applies the same edits to a plain string per window, keeping nothing bounded."""

    def __init__(self, max_windows: int) -> None:
        self.max_windows = max_windows
        self.windows: OrderedDict[str, _ModelWindow] = OrderedDict({"": _ModelWindow()})
        self.active = ""
        self.seen: list[dict[str, tuple[str, int]]] = []

    @property
    def win(self) -> _ModelWindow:
        return self.windows[self.active]

    def snapshot(self) -> dict[str, tuple[str, int]]:
        return {k: (w.text, w.peak) for k, w in self.windows.items()}

    def restart(self) -> None:
        self.windows[self.active] = _ModelWindow()

    def type(self, text: str) -> None:
        for ch in text:
            self.seen.append(self.snapshot())
            if ch in "\r\n\t":
                self.restart()
            elif unicodedata.category(ch) != "Cc":
                if self.win.selected:
                    self.restart()
                self.win.text += ch
                self.win.peak = max(self.win.peak, len(self.win.text))

    def key(self, key: Key) -> None:
        if key in (Key.BACKSPACE, Key.DELETE):
            if self.win.selected:
                self.restart()
            elif key is Key.BACKSPACE:
                self.win.text = self.win.text[:-1]
        else:
            self.restart()

    def chord(self, chord: Chord) -> None:
        mods, key, w = chord.modifiers, chord.key, self.win
        if isinstance(key, Key):
            if key is not Key.BACKSPACE or w.selected or not mods - {Modifier.SHIFT}:
                self.key(key)
            elif Modifier.META in mods:
                w.text = ""
            else:
                stripped = w.text.rstrip()
                word = bool(stripped) and not _is_sep(stripped[-1])
                while stripped and not stripped[-1].isspace() and _is_sep(stripped[-1]) != word:
                    stripped = stripped[:-1]
                w.text = stripped
        elif not mods & {Modifier.CTRL, Modifier.META, Modifier.ALT}:
            self.type(key)
        elif key.lower() == "a" and mods & {Modifier.CTRL, Modifier.META}:
            w.selected = True
        elif not (key.lower() in "cbius" and mods & {Modifier.CTRL, Modifier.META}):
            self.restart()

    def focus(self, window: Window) -> None:
        if window.id == self.active:
            return
        self.win.selected = False
        self.windows[window.id] = self.windows.pop(window.id, None) or _ModelWindow()
        self.active = window.id
        while len(self.windows) > self.max_windows:
            self.windows.popitem(last=False)

    def feed(self, event: KeyEvent) -> list[dict[str, tuple[str, int]]]:
        """Apply `event`; every state passed through on the way (a Check may see any)."""
        self.seen = [self.snapshot()]
        if isinstance(event, WindowChanged):
            self.focus(event.window)
        elif isinstance(event, Char):
            self.type(event.text)
        elif isinstance(event, Chord):
            self.chord(event)
        else:
            self.key(event)
        return [*self.seen, self.snapshot()]


def _is_sep(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PZ"


_chars = st.sampled_from(list("abk1é") + list(_SEP_CHARS) + ["😀", "𝐛", "\x03"])
_mods = st.frozensets(st.sampled_from(list(Modifier)), max_size=2)
_events: st.SearchStrategy[KeyEvent] = st.one_of(
    st.builds(Char, st.text(_chars, min_size=1, max_size=3)),
    st.builds(Char, _chars), st.builds(Char, _chars),
    st.sampled_from(list(Key)),
    st.builds(Chord, st.sampled_from([*"aAcvxzb", "f4", *list(Key)]), _mods),
    st.builds(WindowChanged, st.builds(Window, st.sampled_from(["", "w1", "w2", "w3"]),
                                       st.sampled_from(["", "t"]))),
)


@settings(max_examples=400, deadline=None)
@given(events=st.lists(_events, max_size=80), max_chars=st.integers(1, 12),
       context_chars=st.integers(0, 6), max_windows=st.integers(1, 3))
def test_every_check_is_a_suffix_of_what_the_model_holds(
        events: list[KeyEvent], max_chars: int, context_chars: int, max_windows: int) -> None:
    buffer, model = TypingBuffer(max_chars, context_chars, max_windows), Model(max_windows)
    for event in events:
        seen = model.feed(event)
        for check in buffer.feed(event):
            assert 0 < len(check.text) <= max_chars and not check.text.isspace()
            assert len(check.context_before) <= context_chars
            assert 0 <= check.new_from <= len(check.text)
            # Exactly the model's last max_chars, unless the buffer trimmed and was then
            # backspaced past what it kept (peak > 2×max_chars): then a shorter suffix.
            states = [s[check.window.id] for s in seen if check.window.id in s]
            assert any(text.endswith(check.text) and (peak > 2 * max_chars
                                                      or text[-max_chars:] == check.text)
                       for text, peak in states), (check, states)
    assert buffer.window_ids == list(model.windows)
    run(buffer, Key.LEFT)
    assert run(buffer, Key.LEFT, WindowChanged(Window("elsewhere")),
               WindowChanged(Window("elsewhere"))) == []
