"""The demo seeder records only what the real matcher finds: draws, refusals and the sealed
incidents a simulated device builds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.detection.library import Library, PhraseEntry
from app.detection.matcher import Matcher
from app.domain.enums import Source
from app.domain.manifest import decode_manifest
from app.services import demo_devices
from app.services.demo.content import DemoText
from app.services.demo.detected import detect, draw_detected_text
from app.services.demo.mix import CATEGORY_WEIGHTS
from app.services.demo.palette import Palette, make_palette, shipped_palette


def _entry(ident: str, category: str, pattern: str, severity: int,
           exceptions: tuple[str, ...] = ()) -> PhraseEntry:
    kind = "phrase" if " " in pattern else "word"
    return PhraseEntry(ident, category, pattern, kind, severity, "en", True, exceptions, "")


def _chat(context: str) -> DemoText:
    return DemoText(context, 0, len(context), "Teams", "Chat | Microsoft Teams", None,
                    Source.TYPED)


def test_every_draw_is_exactly_what_the_matcher_finds_in_the_context() -> None:
    palette = shipped_palette()
    rng = random.Random(3)
    for i in range(3_000):
        category = sorted(CATEGORY_WEIGHTS)[i % len(CATEGORY_WEIGHTS)]
        drawn = draw_detected_text(rng, category, palette)
        found = palette.matcher.find(drawn.text.context)
        assert set(drawn.matches) == set(found) and len(drawn.matches) == len(found)
        primary = drawn.primary
        assert primary.category == category
        assert primary.severity == max(m.severity for m in found)
        assert drawn.text.context[drawn.text.match_start:drawn.text.match_end] == primary.text


def test_an_entry_the_matcher_suppresses_is_never_recorded_and_another_is_drawn() -> None:
    always_excepted = _entry("bu-1", "bullying", "loser", 2, exceptions=("loser",))
    fine = _entry("bu-2", "bullying", "nobody likes you", 3)
    matcher = Matcher.compile(Library("t1", (always_excepted, fine), ()))
    assert detect(matcher, _chat("loser"), always_excepted) is None
    palette = Palette(matcher, {"bullying": (always_excepted, fine)})
    rng = random.Random(1)
    drawn = [draw_detected_text(rng, "bullying", palette) for _ in range(200)]
    assert {d.primary.phrase_id for d in drawn} == {"bu-2"}


def test_a_library_that_leaves_a_demo_category_empty_is_refused() -> None:
    matcher = Matcher.compile(Library("t3", (_entry("bu-1", "bullying", "kys", 4),), ()))
    with pytest.raises(ValueError, match="no demo entries for ai_imagery, csam"):
        make_palette(matcher)


def test_a_nested_match_of_another_category_stays_under_the_more_severe_one() -> None:
    matcher = shipped_palette().matcher
    entry = next(e for e in matcher.library.entries if e.pattern == "child porn")
    found = detect(matcher, _chat("Ava: child porn links?"), entry)
    assert found is not None
    assert [m.category for m in found.matches] == ["csam", "pornography"]
    assert (found.text.match_start, found.text.match_end) == (5, 15)


def test_a_second_concern_or_unblurred_restricted_words_are_refused() -> None:
    bully = _entry("bu-1", "bullying", "send nudes loser", 4)
    nudes = _entry("ce-1", "cse", "nudes", 3)
    weed = _entry("dr-1", "drugs", "weed", 3)
    matcher = Matcher.compile(Library("t2", (bully, nudes, weed), ()))
    # cse is a restricted-imagery category and bullying is not: the screenshot would show
    # the restricted words unblurred.
    assert detect(matcher, _chat("send nudes loser"), bully) is None
    assert detect(matcher, _chat("send nudes loser or buy weed"), bully) is None
    assert detect(matcher, _chat("nudes"), nudes) is not None


def test_sealed_incidents_record_the_matchers_spans_ids_and_library_version() -> None:
    palette = shipped_palette()
    end = datetime(2026, 3, 2, 12, tzinfo=UTC)
    plan = demo_devices.SealPlan(
        7, "fleet", X25519PrivateKey.generate().public_key().public_bytes_raw(),
        tuple(f"pupil{i:02d}" for i in range(20)), 4, end)
    demo_devices.init_worker(plan)
    times = tuple(end - timedelta(minutes=i) for i in range(300))
    items = demo_devices.build_chunk(demo_devices.Chunk(0, 0, times, frozenset({0, 1, 2})))
    for offset, item in enumerate(items):
        manifest, content = decode_manifest(item.manifest), item.opened
        assert content is not None
        found = palette.matcher.find(content.context)
        assert manifest.library_version == palette.version
        assert {(m.text, m.start, m.end, m.phrase) for m in content.matches} == {
            (m.text, m.start, m.end, m.phrase_id) for m in found}
        lead = next(m for m in found if m.phrase_id == content.matches[0].phrase)
        assert (manifest.category, manifest.severity) == (lead.category, lead.severity)
        assert bool(content.matches[0].boxes) == (offset < 3)
        assert all(not m.boxes for m in content.matches[1:])
