"""Incident content: what quotes or identifies a pupil, sealed to the evidence key on the
device and opened only by a DSL/deputy session (or by the seeder that wrote it)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.errors import ValidationError


@dataclass(frozen=True)
class MatchSpan:
    text: str
    start: int
    end: int
    phrase: str
    boxes: tuple[tuple[int, int, int, int], ...] = ()


@dataclass(frozen=True)
class IncidentContent:
    app: str | None
    window_title: str | None
    url: str | None
    context: str
    matches: tuple[MatchSpan, ...]

    @property
    def first_match(self) -> str | None:
        return self.matches[0].text if self.matches else None


def encode_content(c: IncidentContent) -> bytes:
    return json.dumps({
        "app": c.app, "window_title": c.window_title, "url": c.url, "context": c.context,
        "matches": [{"text": m.text, "start": m.start, "end": m.end, "phrase": m.phrase,
                     "boxes": [list(b) for b in m.boxes]} for m in c.matches],
    }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_content(raw: bytes) -> IncidentContent:
    try:
        doc = json.loads(raw)
        matches = tuple(
            MatchSpan(str(m["text"]), int(m["start"]), int(m["end"]), str(m["phrase"]),
                      tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in m["boxes"]))
            for m in doc["matches"])
        return IncidentContent(_opt(doc, "app"), _opt(doc, "window_title"), _opt(doc, "url"),
                               str(doc["context"]), matches)
    except (ValueError, KeyError, TypeError, IndexError):
        raise ValidationError("sealed incident content is malformed") from None


def _opt(doc: dict[str, object], name: str) -> str | None:
    value = doc.get(name)
    return None if value is None else str(value)
