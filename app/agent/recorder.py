"""Turning matches into incidents in the outbox: lead match, debounce, screenshot, seal, store.

The same phrase in the same window within `DEBOUNCE_S` is one incident, not fifty (a pupil
retyping, a chat scrolling). The screenshot is encoded as lossless WebP; if the outbox is over
its size cap the incident is recorded without it and the drop is counted (reported in hello) —
the signed manifest lists its evidence, so a screenshot can never be removed later.

Logs never contain captured text: only categories, counts and ids.

Threading: `record` may be called from the typed and screen threads; it serialises itself.
"""

from __future__ import annotations

import getpass
import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from PIL import Image

from app.agent.incident import Capture, Screenshot, seal_incident
from app.agent.outbox import Outbox
from app.agent.window import WindowInfo
from app.detection.matcher import PhraseMatch, leading
from app.domain.content import IncidentContent, MatchSpan
from app.domain.enums import Source
from app.domain.geometry import Box

log = logging.getLogger(__name__)
DEBOUNCE_S = 60.0
CONTEXT_CHARS = 300
# Lossless either way; in lossless mode "quality" is compression effort, not fidelity. Method 1
# at effort 0 is the demo screenshots' setting (app.services.demo.screens): on a 1280×800 agent
# screenshot it encoded in 32 ms to 53 KB, where method 0 at the default effort took 45 ms and
# made 120 KB — less of the pupil's CPU and half the outbox and upload per incident.
WEBP_METHOD = 1
WEBP_EFFORT = 0


@dataclass(frozen=True)
class Seen:
    """What a capture source found: the text it matched over, the matches, where."""

    source: Source
    text: str
    matches: tuple[PhraseMatch, ...]
    window: WindowInfo
    boxes: dict[int, tuple[Box, ...]]  # match index → its boxes on `screenshot`
    screenshot: Image.Image | None


class Recorder:
    def __init__(self, device_uuid: str, device_key: Ed25519PrivateKey, outbox: Outbox,
                 evidence_key: Callable[[], X25519PublicKey], library_version: Callable[[], str],
                 user: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._device_uuid, self._key, self._outbox = device_uuid, device_key, outbox
        self._evidence_key, self._library_version = evidence_key, library_version
        self._user = user or getpass.getuser()
        self._clock = clock
        self._recent: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self.recorded = 0
        self.debounced = 0

    def record(self, seen: Seen) -> str | None:
        """Seal `seen` into the outbox; returns the incident's id, or None when debounced."""
        if not seen.matches:
            return None
        lead = leading(seen.matches)
        with self._lock:
            now = self._clock()
            key = (lead.phrase_id, seen.window.id)
            if now - self._recent.get(key, -DEBOUNCE_S - 1) <= DEBOUNCE_S:
                self.debounced += 1
                return None
            self._recent = {k: t for k, t in self._recent.items() if now - t <= DEBOUNCE_S}
            self._recent[key] = now
            capture = self._capture(seen, lead)
            sealed = seal_incident(capture, self._device_uuid, self._key, self._evidence_key(),
                                   self._outbox.reserve_seq())
            self._outbox.add(sealed, capture.captured_at)
            self.recorded += 1
        log.info("incident %s recorded: %s, severity %d, %s", sealed.uuid, lead.category,
                 lead.severity, seen.source.value)
        return sealed.uuid

    def _capture(self, seen: Seen, lead: PhraseMatch) -> Capture:
        ordered = (lead, *(m for m in seen.matches if m is not lead))
        start = max(0, min(m.start for m in ordered) - CONTEXT_CHARS)
        end = max(m.end for m in ordered) + CONTEXT_CHARS
        context = seen.text[start:end]
        spans = tuple(MatchSpan(m.text, m.start - start, m.end - start, m.phrase_id,
                                tuple((b.x, b.y, b.w, b.h) for b in seen.boxes.get(
                                    seen.matches.index(m), ())))
                      for m in ordered)
        content = IncidentContent(seen.window.app or None, seen.window.title or None,
                                  seen.window.url, context, spans)
        return Capture(datetime.now(UTC), lead.category, lead.severity, seen.source,
                       self._library_version(), self._user, content,
                       self._screenshot(seen.screenshot))

    def _screenshot(self, image: Image.Image | None) -> Screenshot | None:
        if image is None:
            return None
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "WEBP", lossless=True, method=WEBP_METHOD,
                                  quality=WEBP_EFFORT)
        data = buffer.getvalue()
        if not self._outbox.room_for_screenshot(len(data)):
            self._outbox.note_dropped_screenshot()
            return None
        return Screenshot(data, "image/webp", image.width, image.height)
