"""Behaviour of the demo school's synthetic content: pupils, library entries, contexts, timing,
screens."""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from app.detection.library import PhraseEntry
from app.domain.categories import CATEGORIES
from app.domain.enums import Source
from app.domain.geometry import Box
from app.paths import RESOURCES
from app.services.demo.content import DemoText, make_incident_text
from app.services.demo.mix import CATEGORY_WEIGHTS, SEVERITY_BANDS, UNSHOWN_NOTES
from app.services.demo.names import make_pupils
from app.services.demo.palette import shipped_palette
from app.services.demo.rhythm import incident_times, is_school_holiday
from app.services.demo.screen_canvas import FONT_DIR
from app.services.demo.screens import TEMPLATES, pick_template, render_image, render_screenshot

LONDON = ZoneInfo("Europe/London")
CATEGORY_KEYS = {c.key for c in CATEGORIES}
YEAR_START = datetime(2025, 9, 1, tzinfo=UTC)
YEAR_END = datetime(2026, 9, 1, tzinfo=UTC)


# --- pupils -------------------------------------------------------------------------------


def test_pupils_are_reproducible_per_seed_and_unique_by_login() -> None:
    pupils = make_pupils(random.Random(42))
    assert pupils == make_pupils(random.Random(42))
    assert pupils != make_pupils(random.Random(43))
    assert len(pupils) == 600
    assert len({p.login for p in pupils}) == 600
    assert len({p.upn for p in pupils}) == 600
    assert all(re.fullmatch(r"[a-z]+\d{2}[a-z]{0,2}", p.login) for p in pupils)


def test_logins_are_initial_surname_and_intake_year() -> None:
    for p in make_pupils(random.Random(1), 300):
        intake = (2025 - (p.year_group - 7)) % 100
        assert p.login[0] == p.display_name[0].lower()
        assert re.search(rf"{intake:02d}[a-z]{{0,2}}$", p.login), p


def test_upns_are_synthetic_13_characters_starting_with_z() -> None:
    for p in make_pupils(random.Random(2)):
        assert len(p.upn) == 13 and p.upn.startswith("Z000") and p.upn[1:].isdigit()


def test_sixth_form_is_smaller_than_main_school_years() -> None:
    sizes = Counter(p.year_group for p in make_pupils(random.Random(3), 1000))
    assert set(sizes) == set(range(7, 14))
    assert max(sizes[12], sizes[13]) < min(sizes[y] for y in range(7, 12))
    assert sum(sizes.values()) == 1000


# --- library entries and contexts -----------------------------------------------------


def _entries() -> tuple[PhraseEntry, ...]:
    return shipped_palette().all_entries


def test_every_category_draws_plain_library_entries_of_sensible_severity() -> None:
    palette = shipped_palette()
    assert set(palette.entries) == CATEGORY_KEYS
    assert all(len(group) >= 10 for group in palette.entries.values())
    assert palette.version == (RESOURCES / "phrases" / "VERSION").read_text().strip()
    for entry in _entries():
        assert entry.kind in ("word", "phrase"), entry
        low, high = SEVERITY_BANDS[entry.category]
        assert low <= entry.severity <= high, entry
        assert not any(word in entry.note.lower() for word in UNSHOWN_NOTES), entry
    assert all(e.severity >= 4 for e in _entries() if e.category in ("csam", "sextortion"))
    assert all(e.severity <= 3 for e in _entries() if e.category == "gambling")
    assert {"kys", "kms"} <= {e.pattern for e in _entries()}


def test_regex_entries_are_never_drawn_as_text() -> None:
    library = shipped_palette().matcher.library
    drawn = {e.id for e in _entries()}
    assert any(e.kind == "regex" for e in library.entries)
    assert not any(e.id in drawn for e in library.entries if e.kind == "regex")


def test_category_weights_cover_every_category_with_csam_rarest() -> None:
    assert set(CATEGORY_WEIGHTS) == CATEGORY_KEYS
    assert all(w > 0 for w in CATEGORY_WEIGHTS.values())
    top_four = sorted(CATEGORY_WEIGHTS, key=CATEGORY_WEIGHTS.__getitem__, reverse=True)[:4]
    assert set(top_four) == {"bullying", "self_harm", "discrimination", "violence"}
    assert min(CATEGORY_WEIGHTS, key=CATEGORY_WEIGHTS.__getitem__) == "csam"


def test_match_offsets_select_the_phrase_in_every_draw() -> None:
    rng = random.Random(7)
    sources: Counter[Source] = Counter()
    entries = _entries()
    for i in range(20_000):
        entry = entries[i % len(entries)]
        text = make_incident_text(rng, entry.category, entry.pattern)
        assert text.context[text.match_start : text.match_end].lower() == entry.pattern
        assert len(text.context) <= 200
        assert text.app and text.window_title
        if text.url is not None:
            host = urlsplit(text.url).hostname or ""
            assert re.search(r"(^|\.)example\.(com|org|net)$", host), text.url
        if text.source is Source.WINDOW:
            assert text.context == text.window_title
        sources[text.source] += 1
    assert set(sources) == set(Source)


def test_incident_text_is_reproducible_per_seed() -> None:
    first = [make_incident_text(random.Random(5), "bullying", "kys") for _ in range(3)]
    assert first[0] == first[1] == first[2]


# --- rhythm -------------------------------------------------------------------------------


def test_times_are_sorted_utc_and_inside_the_range() -> None:
    start = datetime(2025, 9, 1, 7, 15, 0, 123, tzinfo=UTC)
    end = datetime(2026, 3, 1, 18, 45, tzinfo=UTC)
    times = incident_times(random.Random(11), 50_000, start, end)
    assert len(times) == 50_000
    assert times == sorted(times)
    assert start <= times[0] and times[-1] < end
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert times == incident_times(random.Random(11), 50_000, start, end)


def test_term_tuesday_late_morning_is_far_busier_than_sunday_or_august() -> None:
    times = incident_times(random.Random(12), 300_000, YEAR_START, YEAR_END)
    hours = Counter(t.astimezone(LONDON).replace(minute=0, second=0, microsecond=0) for t in times)

    def at_eleven(day: date) -> int:
        return hours[datetime(day.year, day.month, day.day, 11, tzinfo=LONDON)]

    term_tuesday, sunday, august_tuesday = date(2025, 11, 11), date(2025, 11, 16), date(2026, 8, 11)
    assert term_tuesday.weekday() == 1 and sunday.weekday() == 6
    assert august_tuesday.weekday() == 1 and is_school_holiday(august_tuesday)
    assert at_eleven(term_tuesday) > 5 * max(at_eleven(sunday), at_eleven(august_tuesday), 1)
    assert at_eleven(term_tuesday) > 50


def test_most_incidents_fall_in_the_school_day() -> None:
    times = incident_times(random.Random(13), 50_000, YEAR_START, YEAR_END)
    local = [t.astimezone(LONDON) for t in times]
    in_lessons = sum(
        1
        for t in local
        if t.weekday() < 5
        and not is_school_holiday(t.date())
        and (8, 30) <= (t.hour, t.minute) < (15, 30)
    )
    evenings = sum(1 for t in local if 17 <= t.hour < 22)
    assert in_lessons / len(local) > 0.6
    assert evenings / len(local) > 0.05


def test_english_school_holidays_are_recognised() -> None:
    for day in (
        date(2025, 12, 25),
        date(2026, 2, 17),
        date(2026, 4, 8),
        date(2026, 5, 27),
        date(2026, 8, 11),
        date(2025, 10, 29),
    ):
        assert is_school_holiday(day), day
    for day in (date(2025, 11, 11), date(2026, 3, 10), date(2026, 6, 16)):
        assert not is_school_holiday(day), day


def test_times_reject_naive_datetimes_and_allow_zero() -> None:
    with pytest.raises(ValueError):
        incident_times(random.Random(1), 10, datetime(2025, 9, 1), YEAR_END)
    assert incident_times(random.Random(1), 0, YEAR_START, YEAR_END) == []


# --- screenshots --------------------------------------------------------------------------


def _texts(seed: int, n: int) -> list[DemoText]:
    rng = random.Random(seed)
    entries = _entries()
    return [make_incident_text(rng, e.category, e.pattern)
            for e in (rng.choice(entries) for _ in range(n))]


def _assert_boxes_cover_the_matched_glyphs(text: DemoText, template: str, seed: int) -> None:
    """Render with and without the matched glyphs (identical layout otherwise): every pixel
    that differs lies inside a box, and each box is tight (within 2 px) around its pixels."""
    shown, boxes = render_image(text, template, random.Random(seed))
    hidden, hidden_boxes = render_image(text, template, random.Random(seed), hide_match=True)
    assert boxes and boxes == hidden_boxes
    changed = ImageChops.difference(shown, hidden).convert("L").point(lambda v: 255 if v else 0)
    assert changed.getbbox() is not None
    eraser = ImageDraw.Draw(changed)
    for box in boxes:
        ink = changed.crop((box.x, box.y, box.x + box.w, box.y + box.h)).getbbox()
        assert ink is not None, (template, box)
        assert ink[0] <= 2 and ink[1] <= 2, (template, box, ink)
        assert box.w - ink[2] <= 2 and box.h - ink[3] <= 2, (template, box, ink)
        eraser.rectangle((box.x, box.y, box.x + box.w - 1, box.y + box.h - 1), fill=0)
    assert changed.getbbox() is None, f"{template}: matched pixels outside the boxes"


@pytest.mark.parametrize("template", TEMPLATES)
def test_screenshot_is_lossless_webp_of_the_stated_size_with_boxes_inside(template: str) -> None:
    text = _texts(21, 1)[0]
    shot = render_screenshot(text, template, random.Random(3))
    decoded = Image.open(io.BytesIO(shot.webp))
    assert decoded.format == "WEBP"
    assert decoded.size == (shot.width, shot.height) == (1280, 800)
    reference, boxes = render_image(text, template, random.Random(3))
    assert decoded.convert("RGB").tobytes() == reference.tobytes()
    assert shot.boxes == boxes and shot.boxes
    for box in shot.boxes:
        assert isinstance(box, Box) and box.w > 0 and box.h > 0
        assert box.x >= 0 and box.x + box.w <= shot.width
        assert box.y >= 0 and box.y + box.h <= shot.height
        region = decoded.convert("RGB").crop((box.x, box.y, box.x + box.w, box.y + box.h))
        assert len(region.getcolors(box.w * box.h) or []) > 2, "box holds only background"


@pytest.mark.parametrize("template", TEMPLATES)
def test_boxes_cover_exactly_the_matched_words(template: str) -> None:
    for seed, text in enumerate(_texts(31, 12)):
        _assert_boxes_cover_the_matched_glyphs(text, template, seed)


@pytest.mark.parametrize("template", ["chat_dark", "search", "document", "social_feed"])
def test_blanking_the_phrase_changes_pixels_only_inside_its_boxes(template: str) -> None:
    """Independent of `hide_match`: through the public API, replace the phrase with spaces in
    the context. The phrase ends the context, and these templates size nothing by the text's
    width, so the layout is unchanged and only the phrase's own pixels may differ."""
    for seed, phrase in enumerate(("kys", "go away freak", "free spins", "our little secret")):
        context = f"Maya: did you see the group chat yeah {phrase}"
        start = len(context) - len(phrase)
        blank = context[:start] + " " * len(phrase)
        texts = [
            DemoText(
                c,
                start,
                len(context),
                "Chrome",
                "Maya - Messages - Google Chrome",
                "https://chat.example.com/c/1",
                Source.SCREEN,
            )
            for c in (context, blank)
        ]
        shots = [render_screenshot(t, template, random.Random(seed)) for t in texts]
        images = [Image.open(io.BytesIO(s.webp)).convert("RGB") for s in shots]
        changed = ImageChops.difference(*images).convert("L").point(lambda v: 255 if v else 0)
        boxes = shots[0].boxes
        assert len(boxes) == 1
        box = boxes[0]
        assert changed.crop((box.x, box.y, box.x + box.w, box.y + box.h)).getbbox() is not None
        ImageDraw.Draw(changed).rectangle(
            (box.x, box.y, box.x + box.w - 1, box.y + box.h - 1), fill=0
        )
        assert changed.getbbox() is None, f"{template}/{phrase}: pixels changed outside the box"


def test_a_match_that_wraps_gets_one_box_per_line() -> None:
    phrase = "go away freak"
    wrapped = 0
    for n in range(8, 30):
        context = "Ava: " + " ".join(["homework"] * n) + f" {phrase} ok"
        start = context.index(phrase)
        text = DemoText(
            context,
            start,
            start + len(phrase),
            "Teams",
            "Chat | Ava | Microsoft Teams",
            None,
            Source.SCREEN,
        )
        for template in TEMPLATES:
            _, boxes = render_image(text, template, random.Random(n))
            if len(boxes) == 2:
                wrapped += 1
                assert boxes[0].y < boxes[1].y
                _assert_boxes_cover_the_matched_glyphs(text, template, n)
    assert wrapped >= 3


def test_window_title_match_is_boxed_in_the_title_bar() -> None:
    title = "buy weed uk - Search - Google Chrome"
    text = DemoText(
        title, 0, 8, "Chrome", title, "https://search.example.com/search?q=x", Source.WINDOW
    )
    for template in TEMPLATES:
        _, boxes = render_image(text, template, random.Random(1))
        assert len(boxes) == 1 and boxes[0].y + boxes[0].h <= 32
        _assert_boxes_cover_the_matched_glyphs(text, template, 1)


def test_dark_template_is_light_text_on_dark() -> None:
    text = _texts(41, 1)[0]
    image, boxes = render_image(text, "chat_dark", random.Random(1))
    assert ImageStat.Stat(image.convert("L")).mean[0] < 80
    box = boxes[0]
    region = image.convert("L").crop((box.x, box.y, box.x + box.w, box.y + box.h))
    assert region.getextrema()[1] > 170  # the words themselves are light
    light, _ = render_image(text, "chat_light", random.Random(1))
    assert ImageStat.Stat(light.convert("L")).mean[0] > 180


def test_render_is_deterministic_and_rejects_unknown_templates() -> None:
    text = _texts(51, 1)[0]
    first = render_screenshot(text, "search", random.Random(9))
    assert first == render_screenshot(text, "search", random.Random(9))
    with pytest.raises(ValueError):
        render_screenshot(text, "photo", random.Random(9))


def test_pick_template_follows_the_surface() -> None:
    for text in _texts(61, 300):
        template = pick_template(text, random.Random(0))
        assert template in TEMPLATES
        if " - Search - " in text.window_title:
            assert template == "search"
        if text.app == "Microsoft Word":
            assert template == "document"


def test_fonts_ship_with_their_licence() -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONT_DIR / name).is_file()
    assert "Bitstream" in (FONT_DIR / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
