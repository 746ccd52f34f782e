"""Every incident of a seeded demo school is one the real matcher would raise: its matched
text, run through the shipped library's matcher, gives back its category, and its sealed
content holds exactly the matcher's spans and entry ids."""

from __future__ import annotations

from app.domain.content import decode_content
from app.domain.dto import IncidentQuery
from app.domain.manifest import decode_manifest
from app.security.sealing import open_sealed, seal_aad
from app.services import incidents, users
from app.services.demo.palette import shipped_palette
from app.services.demo_school import DEMO_PASSWORD
from app.services.evidence_store import unpack
from db.repositories import incidents_repo


def _rows(console, session):  # type: ignore[no-untyped-def]
    rows, cursor = [], None
    while True:
        page = incidents.list_incidents(console, session, IncidentQuery(), cursor, 200)
        rows.extend(page.rows)
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


def test_every_seeded_matched_text_reproduces_its_category(demo) -> None:  # type: ignore[no-untyped-def]
    matcher = shipped_palette().matcher
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    rows = _rows(demo, dsl)
    assert len(rows) == 600
    for row in rows:
        assert row.matched_text
        found = matcher.find(row.matched_text)
        assert any(m.category == row.category_key and m.severity == row.severity
                   and m.text == row.matched_text for m in found), (row.id, row.matched_text)


def test_sealed_content_holds_the_matchers_spans_and_the_shipped_version(demo) -> None:  # type: ignore[no-untyped-def]
    matcher = shipped_palette().matcher
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    key = dsl.evidence_key()
    with demo.reading() as db:
        stored = [(bytes(r.manifest), bytes(r.sealed_content)) for r in (
            incidents_repo.manifest_for(db, row.id) for row in _rows(demo, dsl)) if r]
    assert len(stored) == 600
    for raw_manifest, sealed in stored:
        manifest = decode_manifest(raw_manifest)
        content = decode_content(open_sealed(unpack(sealed), key,
                                             seal_aad(manifest.uuid, "content")))
        found = matcher.find(content.context)
        assert manifest.library_version == matcher.version
        assert sorted((m.text, m.start, m.end, m.phrase) for m in content.matches) == sorted(
            (m.text, m.start, m.end, m.phrase_id) for m in found)
        lead = next(m for m in found if m.phrase_id == content.matches[0].phrase)
        assert (lead.start, lead.end) == (content.matches[0].start, content.matches[0].end)
        assert (manifest.category, manifest.severity) == (lead.category, lead.severity)
