"""The annual monitoring review pack (DfE filtering and monitoring standards: senior leaders,
the DSL, IT and a governor review the monitoring at least once a year), rendered from a frozen
`ReviewPack`: coverage of the school's devices, the phrase library and what changed in it, the
year's volumes, false-positive rates and review times, questions for the review, and the
sign-off boxes. No database, no Qt; every count already suppressed below 5.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer

from app.domain.trend_reports import ReviewPack
from app.reports.pdf_base import (
    FRAME_WIDTH,
    esc,
    grid,
    key_values,
    make_styles,
    when,
)
from app.reports.pdf_file import Furniture, RenderedReport, lay_out, write_pdf
from app.reports.trend_sections import TrendSections

TITLE = "Annual review of filtering and monitoring"
SIGNERS = ("Headteacher", "Designated Safeguarding Lead", "IT lead or technician",
           "Governor responsible for safeguarding")
QUESTIONS = (
    "Are all school devices pupils use enrolled and reporting? What about the silent ones?",
    "Does the phrase library still match the risks pupils face (new slang, apps, trends)?",
    "Are false positives low enough that real concerns are not lost among them?",
    "Are alerts reviewed quickly enough, including outside the school day?",
    "What changed in safeguarding practice because of what monitoring showed?",
)


def render_review_pack(data: ReviewPack, out: Path) -> RenderedReport:
    return write_pdf(Path(out), lambda fh: _write(data, fh))


def _write(data: ReviewPack, target: IO[bytes]) -> int:
    return lay_out(target, _story(data, make_styles()), Furniture(
        title=f"{TITLE} {data.year_label}", author=data.author,
        subject=f"{data.school}: {TITLE}",
        keywords=(data.marking, "safeguarding", "monitoring review"),
        reference=f"Monitoring review {data.year_label}", marking=data.marking,
        school=data.school))


def _story(data: ReviewPack, st: Any) -> list[Any]:
    sections = TrendSections(data.dashboard, st)
    story: list[Any] = [
        Paragraph(data.marking, st.marking), Paragraph(esc(TITLE), st.title),
        Paragraph(esc(f"{data.school} · school year {data.year_label}"), st.subtitle),
        key_values([("Period", f"{data.start:%-d %B %Y} to {data.end:%-d %B %Y}"),
                    ("Prepared by", data.author), ("Prepared on", when(data.generated_at)),
                    ("Software", f"Kestrel {data.software_version}")], st),
        Spacer(1, 10),
        Paragraph("The DfE filtering and monitoring standards ask senior leaders, the DSL, IT "
                  "staff and a governor to review the school's monitoring at least once a "
                  "year. This pack holds what that review needs; the last page is for its "
                  "sign-off.", st.body),
        Paragraph("1. Coverage: the devices monitored", st.h1), *_coverage(data, st),
        Paragraph("2. The phrase library", st.h1), *_library(data, st),
        PageBreak(), Paragraph("3. What monitoring found", st.h1),
        *sections.key_figures(), *sections.empty(), Spacer(1, 8), *sections.over_time(),
        PageBreak(), *sections.categories(), Spacer(1, 8), *sections.year_groups(),
        *sections.when(), *sections.phrases(),
        PageBreak(), Paragraph("4. Questions for the review", st.h1),
        *(Paragraph(f"{n}. {esc(q)}", st.body) for n, q in enumerate(QUESTIONS, 1)),
        Spacer(1, 6), *sections.reading_notes(),
        PageBreak(), Paragraph("5. Sign-off", st.h1), *_sign_off(st),
    ]
    return story


def _coverage(data: ReviewPack, st: Any) -> list[Any]:
    c = data.coverage
    rows = [["Devices enrolled and active", f"{c.active:,}"],
            ["Reporting in the last day", f"{c.reporting:,}"],
            ["Silent for more than a day", f"{c.silent:,}"],
            ["… of which silent for more than a week", f"{c.silent_over_week:,}"],
            ["Revoked (removed from monitoring)", f"{c.revoked:,}"]]
    cells = [[Paragraph(esc(a), st.cell_muted), Paragraph(esc(b), st.cell_bold)]
             for a, b in rows]
    out: list[Any] = [grid(cells, [FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4], header=False)]
    if c.agent_versions:
        versions = ", ".join(f"{v} on {n:,}" for v, n in c.agent_versions)
        out.append(Paragraph(f"Agent versions: {esc(versions)}.", st.caption))
    if c.silent:
        out.append(Paragraph("A silent device is not being monitored. Check each one is "
                             "switched off or out of use, not failing.", st.body))
    return out


def _library(data: ReviewPack, st: Any) -> list[Any]:
    out: list[Any] = [Paragraph(
        f"Library in force: version {esc(data.library_version)}. Changes made by the school "
        f"during the year: {data.library_changes_total:,}.", st.body)]
    if data.library_changes:
        rows = [[Paragraph(h, st.cell_bold) for h in ("When", "Change", "Phrase", "By")]]
        rows += [[Paragraph(esc(when(ch.when)), st.cell), Paragraph(esc(ch.what), st.cell),
                  Paragraph(esc(ch.phrase), st.cell), Paragraph(esc(ch.who), st.cell)]
                 for ch in data.library_changes]
        out.append(grid(rows, [FRAME_WIDTH * w for w in (0.28, 0.24, 0.26, 0.22)]))
        if data.library_changes_total > len(data.library_changes):
            out.append(Paragraph(f"The latest {len(data.library_changes)} are listed; the "
                                 "audit log holds them all.", st.caption))
    return out


def _sign_off(st: Any) -> list[Any]:
    """Room to write: each signature goes on a rule with its caption underneath."""
    out: list[Any] = [Paragraph("We have reviewed the school's filtering and monitoring "
                                "with this pack and agreed the actions recorded below.",
                                st.body),
                      Paragraph("Actions agreed", st.h2),
                      grid([[""]] * 5, [FRAME_WIDTH], header=False,
                           extra=[("TOPPADDING", (0, 0), (-1, -1), 16)])]
    for role in SIGNERS:
        rows = [[Paragraph(esc(role), st.cell_bold), "", ""], ["", "", ""],
                [Paragraph("Name", st.cell_muted), Paragraph("Signature", st.cell_muted),
                 Paragraph("Date", st.cell_muted)]]
        table = grid(rows, [FRAME_WIDTH * w for w in (0.4, 0.4, 0.2)], header=False,
                     rules=[1], extra=[("SPAN", (0, 0), (-1, 0)),
                                       ("TOPPADDING", (0, 1), (-1, 1), 24)])
        out.append(KeepTogether([Spacer(1, 10), table]))
    return out
