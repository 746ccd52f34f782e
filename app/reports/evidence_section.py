"""One incident as evidence: what happened where and when, the captured text with the matches
highlighted, then each screenshot (outlined, with close-ups of the matches) — or, for imagery
that must not be reproduced or a file that failed its check, a grey panel saying why, with the
hashes that identify the original the school holds.

Only a screenshot that is verified, not restricted and present ever becomes an image in the
PDF: `embeddable` is the single gate.
"""

from __future__ import annotations

import re
from typing import Any

from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from app.domain.case_snapshot import SnapshotEvidence, SnapshotIncident, SnapshotMatch
from app.domain.enums import Severity
from app.reports.evidence_flowable import (
    CloseUpFlowable,
    ScreenshotFlowable,
    UnreadableImage,
    close_up_regions,
    load_image,
    outlines_within,
)
from app.reports.pdf_base import (
    ALERT,
    ALERT_HEX,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    PANEL,
    RULE,
    Styles,
    colour_or,
    esc,
    fact_grid,
    markup,
    span,
    tint,
    when,
)

SOURCES = {"typed": "Typed on the keyboard", "screen": "Read from the screen",
           "window": "Window title"}
VERIFICATION = {
    "verified": "Verified: the sealed file matches the SHA-256 recorded when it arrived.",
    "failed": "FAILED: the stored file does not match the SHA-256 recorded when it arrived. "
              "It may have been altered or damaged.",
}
RESTRICTED_REASON = ("Possible indecent imagery: withheld from every export. The hashes "
                     "below identify the original held by the school.")
FAILED_REASON = "This screenshot failed its integrity check and is not reproduced."


def embeddable(ev: SnapshotEvidence) -> bool:
    """The one rule for putting a picture in the PDF."""
    return ev.image is not None and not ev.restricted and ev.verification == "verified"


def severity_text(severity: int) -> str:
    try:
        return f"{severity} — {Severity(severity).label}"
    except ValueError:
        return str(severity)


def incident_colour(incident: SnapshotIncident) -> str:
    same = [m for m in incident.matches if m.category_name == incident.category_name]
    chosen = same or list(incident.matches)
    return colour_or(chosen[0].colour) if chosen else "#52606d"


def phrases(incident: SnapshotIncident) -> str:
    seen = dict.fromkeys(m.text.strip() for m in incident.matches if m.text.strip())
    return ", ".join(f"“{p}”" for p in seen) or "—"


def highlighted(text: str, matches: tuple[SnapshotMatch, ...]) -> str:
    """The captured text as markup with each match on a wash of its category colour, in bold
    (bold survives a black-and-white printer). Offsets that do not fit the text fall back to
    finding the phrase; overlapping matches keep the first."""
    found: list[tuple[int, int, str]] = []
    for m in matches:
        start, end = m.start, m.end
        if not (0 <= start < end <= len(text)):
            hit = re.search(re.escape(m.text), text, re.IGNORECASE) if m.text else None
            if hit is None:
                continue
            start, end = hit.span()
        found.append((start, end, colour_or(m.colour)))
    out: list[str] = []
    pos = 0
    for start, end, colour in sorted(found):
        if start < pos:
            continue
        out.append(markup(text[pos:start]))
        out.append(f'<span backColor="{tint(colour, 0.28)}"><b>{markup(text[start:end])}'
                   "</b></span>")
        pos = end
    out.append(markup(text[pos:]))
    return "".join(out)


class IncidentBuilder:
    """Flowables for one incident; `st` are the report's styles."""

    def __init__(self, st: Styles) -> None:
        self.st = st

    def build(self, incident: SnapshotIncident, number: int, total: int) -> list[Any]:
        st = self.st
        colour = incident_colour(incident)
        title = (f'<font color="{colour}">■</font> Incident {number} of {total} — '
                 f"{esc(incident.category_name)}")
        heading = Paragraph(title, st.h2)
        heading._bookmark = (f"Incident {number} — {incident.category_name}", 1)
        story: list[Any] = [heading, self._facts(incident)]
        story.append(Paragraph("Captured text", st.h3))
        if incident.text is None:
            story.append(Paragraph("The captured text is still sealed and is not shown in "
                                   "this report.", st.muted))
        elif not incident.text.strip():
            story.append(Paragraph("No text was captured.", st.muted))
        else:
            story.append(Paragraph(highlighted(incident.text, incident.matches), st.captured))
        shots = [e for e in incident.evidence if e.kind == "screenshot"]
        others = [e for e in incident.evidence if e.kind != "screenshot"]
        for index, ev in enumerate(shots + others, start=1):
            label = (f"Screenshot {index}" if ev.kind == "screenshot"
                     else f"Evidence {index} ({ev.kind})")
            outlines = incident.matches if ev is (shots[0] if shots else None) else ()
            story += self._evidence(ev, label, outlines)
        if not incident.evidence:
            story.append(Paragraph("No screenshot was taken for this incident.", st.muted))
        return story

    def _facts(self, i: SnapshotIncident) -> Table:
        received = when(i.received_at, seconds=True)
        lag = (i.received_at - i.captured_at).total_seconds()
        if abs(lag) >= 5 * 60:
            received += f" ({span(lag)} {'after' if lag > 0 else 'before'} the device time)"
        where = " · ".join(x.strip() for x in (i.app, i.window_title) if x and x.strip())
        return fact_grid([
            ("Device time", when(i.captured_at, seconds=True)),
            ("Received", received),
            ("Device", i.device),
            ("Source", SOURCES.get(i.source, i.source)),
            ("Category", i.category_name),
            ("Severity", severity_text(i.severity)),
            ("Status", i.status),
            ("Incident", str(i.id)),
        ], [
            ("App / window", where or "—"),
            ("Web address", i.url),
            ("Matched phrases", phrases(i)),
            ("Reference", i.uuid),
        ], self.st)

    def _evidence(self, ev: SnapshotEvidence, label: str,
                  matches: tuple[SnapshotMatch, ...]) -> list[Any]:
        st = self.st
        if not embeddable(ev) or ev.image is None:
            return [Spacer(1, 4), KeepTogether([self.withheld_panel(ev, label)])]
        try:
            image = load_image(ev.image)
        except UnreadableImage:
            return [Spacer(1, 4), KeepTogether([self.withheld_panel(
                ev, label, "The screenshot file could not be read as an image, so it is not "
                           "reproduced. Its hashes identify the file held by the school.",
                "not reproduced: the file could not be read")])]
        space = (ev.width, ev.height) if ev.width and ev.height else (image.width, image.height)
        outlines = outlines_within([(box, colour_or(m.colour)) for m in matches
                                    for box in m.boxes], space)
        story: list[Any] = []
        regions = close_up_regions([o.box for o in outlines], space, FRAME_WIDTH)
        for n, region in enumerate(regions):
            close_up = CloseUpFlowable(image, region, outlines, space)
            story += [KeepTogether([Paragraph(f"{markup(label)}: close-up of the matches at "
                                              "on-screen size", st.h3), close_up])
                      if n == 0 else close_up, Spacer(1, 6)]
        caption = Paragraph(
            f"{markup(label)} as captured ({image.width} × {image.height} pixels), integrity "
            "verified. The coloured outlines mark the matched words; they are drawn over the "
            "picture, which is reproduced unaltered.", st.caption)
        story += [Spacer(1, 6),
                  ScreenshotFlowable(image, outlines, FRAME_HEIGHT * 0.8, space, caption)]
        return story

    def withheld_panel(self, ev: SnapshotEvidence, label: str, reason: str | None = None,
                       title: str | None = None) -> Table:
        """A grey panel in place of the picture: why, the two hashes, the check's result."""
        st = self.st
        failed = ev.verification != "verified"
        if reason is None:
            reason = ev.withheld_reason or (RESTRICTED_REASON if ev.restricted else
                                            FAILED_REASON if failed else
                                            "The screenshot is not available.")
        if title is None:
            title = ("not reproduced: it failed its integrity check" if failed and
                     not ev.restricted else "withheld")
        check = VERIFICATION.get(ev.verification, f"Verification: {ev.verification}.")
        size = f" · {ev.width} × {ev.height} pixels" if ev.width and ev.height else ""
        check_markup = (f'<font color="{ALERT_HEX}"><b>{markup(check)}</b></font>' if failed
                        else markup(check))
        rows = [
            [Paragraph(f"<b>{markup(label)} {title}</b>{markup(size)}", st.body)],
            [Paragraph(esc(reason), st.cell)],
            [Paragraph(f"SHA-256 of the original file (plaintext)<br/>"
                       f"<b>{esc(ev.plaintext_sha256)}</b>", st.hash)],
            [Paragraph(f"SHA-256 of the sealed (encrypted) copy<br/>"
                       f"<b>{esc(ev.sealed_sha256)}</b>", st.hash)],
            [Paragraph(check_markup, st.cell)],
        ]
        panel = Table(rows, colWidths=[FRAME_WIDTH], hAlign="LEFT")
        panel.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), PANEL),
            ("BOX", (0, 0), (-1, -1), 0.8, ALERT if failed else RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 12), ("RIGHTPADDING", (0, 0), (-1, -1), 12),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, 0), 10), ("BOTTOMPADDING", (0, -1), (-1, -1), 10),
        ]))
        return panel
