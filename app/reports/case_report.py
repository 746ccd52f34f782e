"""The referral PDF of a safeguarding case, rendered from a frozen `CaseSnapshot`.

No database, no keys, no Qt: everything printed comes from the snapshot (DESIGN §11: the
snapshot already leaves out restricted imagery; `evidence_section.embeddable` checks again).
The sections are built by small methods of `CaseReport`; the agency template only changes
which of them follow the cover (the police want the evidence first, MASH and the LADO the
DSL's summary and the chronology).

The PDF is written through `pdf_file.write_pdf`: an error, a cancel or a full disk leaves
nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO, Any

from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.domain.case_snapshot import CaseSnapshot, SnapshotEntry
from app.errors import ValidationError
from app.reports.evidence_flowable import Checkpoint
from app.reports.evidence_section import IncidentBuilder, embeddable
from app.reports.pdf_base import (
    FRAME_WIDTH,
    MUTED,
    Styles,
    chunks,
    clean,
    esc,
    grid,
    key_values,
    make_styles,
    markup,
    register_fonts,
    when,
)
from app.reports.pdf_file import Furniture, RenderedReport, lay_out, write_pdf
from app.reports.pdf_file import ReportCancelled as ReportCancelled  # where callers catch it
from app.security.pdf_encryption import Aes256Encryption

TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "police": ("Referral to the police", ("evidence", "chronology", "summary")),
    "mash": ("Referral to children's social care (MASH)",
             ("summary", "chronology", "evidence")),
    "lado": ("Referral to the Local Authority Designated Officer (LADO)",
             ("summary", "chronology", "evidence")),
}
CLOSING = ("custody", "verification", "signoff")
SECTION_TITLES = {
    "summary": "Summary by the Designated Safeguarding Lead",
    "chronology": "Chronology",
    "evidence": "Evidence",
    "custody": "Chain of custody",
    "verification": "Verification",
    "signoff": "Sign-off",
}
BACK_DATED_SECONDS = 15 * 60
CHECKS = {"verified": "Verified (matches the recorded SHA-256)",
          "failed": "FAILED (does not match the recorded SHA-256)"}


def render_case_report(snapshot: CaseSnapshot, out: Path, password: str | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       cancelled: Callable[[], bool] | None = None) -> RenderedReport:
    """Write the referral PDF of `snapshot` to `out` (AES-256 with `password` if given).
    `progress(done, total)` hears each incident laid out; `cancelled()` is asked before each
    incident and, when it says yes, ReportCancelled is raised and no file is left."""
    if snapshot.agency_template not in TEMPLATES:
        raise ValidationError(f"Choose a report for one of: {', '.join(TEMPLATES)}.")
    encrypt = Aes256Encryption(password) if password is not None else None
    register_fonts()
    report = CaseReport(snapshot, progress, cancelled)
    return write_pdf(Path(out), lambda fh: report.write(fh, encrypt),
                     lambda: report.was_cancelled)


class CaseReport:
    """Builds the story of one report and lays it out."""

    def __init__(self, snapshot: CaseSnapshot,
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> None:
        self.s = snapshot
        self.progress = progress
        self.cancelled = cancelled
        self.was_cancelled = False
        self.st: Styles = make_styles()
        self.title, leading = TEMPLATES[snapshot.agency_template]
        self.order = (*leading, *CLOSING)

    def write(self, target: IO[bytes], encrypt: Aes256Encryption | None) -> int:
        """Lay the report out into `target`; the number of pages."""
        s = self.s
        self._report(0, len(s.incidents))
        return lay_out(target, self.story(), Furniture(
            title=f"{s.reference} — safeguarding referral", author=s.dsl,
            subject=f"{self.title} ({s.marking})", keywords=(s.marking, "safeguarding"),
            reference=s.reference, marking=s.marking, school=s.school), encrypt)

    def story(self) -> list[Any]:
        builders: dict[str, Callable[[], list[Any]]] = {
            "summary": self.summary, "chronology": self.chronology, "evidence": self.evidence,
            "custody": self.custody, "verification": self.verification,
            "signoff": self.signoff}
        story = self.cover()
        for number, name in enumerate(self.order, start=1):
            story += [PageBreak(), self._heading(f"{number}. {SECTION_TITLES[name]}")]
            story += builders[name]()
        return story

    def _heading(self, text: str) -> Paragraph:
        heading = Paragraph(markup(text), self.st.h1)
        heading._bookmark = (text, 0)
        return heading

    # -- sections ---------------------------------------------------------------------------

    def cover(self) -> list[Any]:
        s, st = self.s, self.st
        shots = [e for i in s.incidents for e in i.evidence]
        withheld = sum(1 for e in shots if not embeddable(e))
        facts = key_values([
            ("School", s.school),
            ("Case reference", s.reference),
            ("Pupil", s.pupil),
            ("Year group", f"Year {s.year_group}" if s.year_group is not None else None),
            ("Date of birth", s.date_of_birth),
            ("Designated Safeguarding Lead", s.dsl),
            ("Report generated", when(s.generated_at)),
            ("Purpose of this referral", s.purpose),
            ("Case status", s.status),
            ("Legal hold", "Yes: the case's records are kept and cannot be deleted"
             if s.legal_hold else "No"),
        ], st, label_width=150)
        contents = [f"{n}. {SECTION_TITLES[name]}" + (
            f" — {len(s.incidents)} incident{'s' if len(s.incidents) != 1 else ''}, "
            f"{len(shots)} screenshot{'s' if len(shots) != 1 else ''}"
            + (f" ({withheld} withheld)" if withheld else "") if name == "evidence" else "")
            for n, name in enumerate(self.order, start=1)]
        return [
            Spacer(1, 18),
            Paragraph(markup(self.title), st.title),
            Paragraph(f"Safeguarding case {esc(s.reference)} · {esc(s.school)}", st.subtitle),
            Paragraph(markup(s.marking), st.marking),
            Paragraph("This report holds personal information about a child. Keep it "
                      "secure and share it only with people who need it to keep the child "
                      "safe.", st.muted),
            Spacer(1, 10), facts, Spacer(1, 18),
            Paragraph("In this report", st.h2),
            *(Paragraph(markup(line), st.body) for line in contents),
            Spacer(1, 10),
            Paragraph("Times are UK time (GMT or BST, as shown). Incident times are the "
                      "device's own clock; the time Kestrel received each incident is shown "
                      "beside it.", st.muted),
        ]

    def summary(self) -> list[Any]:
        text = clean(self.s.summary).strip()
        if not text:
            return [Paragraph("No summary was written.", self.st.muted)]
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        return [Paragraph(esc(p), self.st.body) for p in paragraphs]

    def chronology(self) -> list[Any]:
        st, entries = self.st, self.s.chronology
        intro = Paragraph("Every entry as recorded in Kestrel, in the order things happened. "
                          "Entries are never edited: a correction is a later entry that points "
                          "to the one it corrects, and both are shown.", st.muted)
        if not entries:
            return [intro, Paragraph("The chronology is empty.", st.body)]
        header = [Paragraph(h, st.cell_bold) for h in
                  ("Entry", "When", "What and who", "Details")]
        rows: list[list[Any]] = [header]
        shaded: list[int] = []
        rules: list[int] = []
        for e in sorted(entries, key=lambda e: (e.occurred_at, e.recorded_at, e.id)):
            for n, piece in enumerate(self._entry_details(e)):
                if e.corrected_by:
                    shaded.append(len(rows))
                rows.append([
                    Paragraph(str(e.id) if n == 0 else "", st.cell_bold),
                    Paragraph(self._entry_when(e) if n == 0 else "", st.cell),
                    Paragraph(self._entry_who(e) if n == 0 else "", st.cell),
                    Paragraph(piece, st.cell)])
            rules.append(len(rows) - 1)  # a line under each entry, not between its parts
        table = grid(rows, [40, 104, 118, FRAME_WIDTH - 262], shaded=shaded, rules=rules)
        return [intro, table]

    def _entry_when(self, e: SnapshotEntry) -> str:
        text = esc(when(e.occurred_at))
        gap = (e.recorded_at - e.occurred_at).total_seconds()
        if abs(gap) > BACK_DATED_SECONDS:
            note = "back-dated" if gap > 0 else "recorded before this time"
            text += (f'<br/><font size="7.5" color="#52606d">Recorded {esc(when(e.recorded_at))}'
                     f"</font><br/><b>{note}</b>")
        return text

    def _entry_who(self, e: SnapshotEntry) -> str:
        lines = [f"<b>{esc(e.kind)}</b>", f"by {esc(e.author)}"]
        for label, value in (("Agency", e.agency), ("Reference", e.agency_reference),
                             ("Contact with", e.contact_with)):
            if value and value.strip():
                lines.append(f"{label}: {esc(value)}")
        return "<br/>".join(lines)

    def _entry_details(self, e: SnapshotEntry) -> list[str]:
        """The details cell as markup pieces: one unless the text is long enough to need
        further rows (a table row never splits across pages)."""
        notes = []
        if e.corrects_id is not None:
            notes.append(f"<b>Corrects entry {e.corrects_id}</b>")
        if e.corrected_by:
            notes.append(f"<b>Corrected by entry {', '.join(map(str, e.corrected_by))}</b>")
        text = clean(e.body).strip()
        if e.outcome and e.outcome.strip():
            text += f"\n\nOutcome: {clean(e.outcome).strip()}"
        pieces = [esc(p, "") for p in chunks(text) if p.strip()] or ["—"]
        if notes:
            pieces[0] = "<br/>".join(notes) + "<br/>" + pieces[0]
        return pieces

    def evidence(self) -> list[Any]:
        st, incidents = self.st, self.s.incidents
        total = len(incidents)
        story: list[Any] = [Paragraph(
            "Each incident on its own page. Matched words are highlighted in the captured "
            "text and outlined on the screenshot in the category's colour. Imagery that "
            "may be indecent is never reproduced: a grey panel gives its hashes instead.",
            st.muted)]
        if not incidents:
            return [*story, Paragraph("No incidents are linked to this case.", st.body)]
        builder = IncidentBuilder(st)
        for number, incident in enumerate(incidents, start=1):
            story.append(Checkpoint(self._poll))
            if number > 1:
                story.append(PageBreak())
            story += builder.build(incident, number, total)
            story.append(Checkpoint(partial(self._report, number, total)))
        return story

    def custody(self) -> list[Any]:
        st = self.st
        intro = Paragraph("Every time someone in the school opened, viewed or exported this "
                          "case or its evidence, from Kestrel's tamper-evident audit log.",
                          st.muted)
        if not self.s.custody:
            return [intro, Paragraph("No custody events were recorded.", st.body)]
        rows: list[list[Any]] = [[Paragraph(h, st.cell_bold)
                                  for h in ("When", "Who", "What", "Detail")]]
        for c in self.s.custody:
            for n, piece in enumerate(chunks(clean(c.detail or "")) or [""]):
                rows.append([Paragraph(esc(when(c.when, seconds=True)) if n == 0 else "",
                                       st.cell),
                             Paragraph(esc(c.who) if n == 0 else "", st.cell),
                             Paragraph(esc(c.what) if n == 0 else "", st.cell),
                             Paragraph(esc(piece), st.cell)])
        return [intro, grid(rows, [118, 92, 150, FRAME_WIDTH - 360])]

    def verification(self) -> list[Any]:
        s, st = self.s, self.st
        story: list[Any] = [
            Paragraph("How to check this report against the originals the school holds: the "
                      "SHA-256 of each screenshot file (plaintext) and of its sealed, "
                      "encrypted copy. A withheld screenshot keeps its hashes here too.",
                      st.muted),
            key_values([("Software", f"Kestrel {s.software_version}"),
                        ("Audit checkpoint", s.audit_checkpoint)], st),
        ]
        for number, i in enumerate(s.incidents, start=1):
            pairs: list[tuple[str, str | None]] = [
                ("Device signature", i.signature_status),
                ("Phrase library", i.library_version)]
            for k, ev in enumerate(i.evidence, start=1):
                state = CHECKS.get(ev.verification, ev.verification)
                shown = ("reproduced in this report" if embeddable(ev) else
                         "withheld: possible indecent imagery" if ev.restricted else
                         "not reproduced")
                pairs += [(f"Screenshot {k}" if ev.kind == "screenshot" else f"Evidence {k}",
                           f"{state} · {shown}"),
                          ("Plaintext SHA-256", ev.plaintext_sha256),
                          ("Sealed SHA-256", ev.sealed_sha256)]
            if not i.evidence:
                pairs.append(("Evidence files", "None (text only)"))
            story.append(KeepTogether([
                Paragraph(f"Incident {number} — {esc(i.category_name)} · {esc(i.uuid)}",
                          st.h3),
                key_values(pairs, st)]))
        return story

    def signoff(self) -> list[Any]:
        st = self.st

        def block(title: str, name: str, role: str) -> list[Any]:
            rows = [[Paragraph(label, st.cell_muted), Paragraph(esc(value, ""), st.cell)]
                    for label, value in (("Name", name), ("Role", role), ("Signature", ""),
                                         ("Date", ""))]
            table = Table(rows, colWidths=[90, 250], rowHeights=[24, 24, 40, 24],
                          hAlign="LEFT")
            table.setStyle(TableStyle([
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, MUTED),
                ("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
            return [Paragraph(title, st.h2), table]

        return [KeepTogether([
            Paragraph("I confirm that this report is a true record of the information held "
                      "by the school about this case on the date it was generated.", st.body),
            *block("Prepared by", self.s.dsl, "Designated Safeguarding Lead"),
            Spacer(1, 16),
            *block("Received by", "", ""),
        ])]

    # -- progress and cancel ---------------------------------------------------------------

    def _poll(self) -> None:
        if self.cancelled is not None and self.cancelled():
            self.was_cancelled = True
            raise _Stop("cancelled")

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)


class _Stop(Exception):
    """Unwinds reportlab's layout when the person cancels (render_case_report re-raises it as
    ReportCancelled: reportlab rewrites messages of what passes through it)."""
