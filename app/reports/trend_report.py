"""The governors' trend report PDF, rendered from a frozen `GovernorsReport` (no database, no
Qt): a cover with the key figures, the headteacher's commentary, then the charts and tables of
`trend_sections`, and how to read them. Every count is already suppressed below 5.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from reportlab.platypus import PageBreak, Paragraph, Spacer

from app.domain.trend_reports import GovernorsReport
from app.reports.pdf_base import chunks, esc, key_values, make_styles, when
from app.reports.pdf_file import Furniture, RenderedReport, lay_out, write_pdf
from app.reports.trend_sections import TrendSections

TITLE = "Safeguarding monitoring: trends for governors"


def render_governors_report(data: GovernorsReport, out: Path) -> RenderedReport:
    return write_pdf(Path(out), lambda fh: _write(data, fh))


def _write(data: GovernorsReport, target: IO[bytes]) -> int:
    return lay_out(target, _story(data, make_styles()), Furniture(
        title=f"{TITLE} — {data.period_label}", author=data.author,
        subject=f"{data.school}: {TITLE}", keywords=(data.marking, "safeguarding", "governors"),
        reference=f"Trends · {data.period_label}", marking=data.marking, school=data.school))


def _story(data: GovernorsReport, st: Any) -> list[Any]:
    sections = TrendSections(data.dashboard, st)
    story: list[Any] = [
        Paragraph(data.marking, st.marking),
        Paragraph(esc(TITLE), st.title),
        Paragraph(esc(f"{data.school} · {data.period_label}"), st.subtitle),
        key_values([("Dates", f"{data.start:%-d %B %Y} to {data.end:%-d %B %Y}"),
                    ("Prepared by", data.author), ("Prepared on", when(data.generated_at)),
                    ("Software", f"Kestrel {data.software_version}")], st),
        Spacer(1, 12), Paragraph("Key figures", st.h2), *sections.key_figures(),
        *sections.empty(),
        Paragraph("Commentary from the headteacher", st.h2),
    ]
    text = data.narrative.strip()
    if text:
        story += [Paragraph(esc(part), st.body) for para in text.split("\n\n")
                  for part in chunks(" ".join(para.split()))]
    else:
        story.append(Paragraph("No commentary was added to this report.", st.muted))
    if not data.dashboard.empty_reason:
        story += [PageBreak(), *sections.over_time(), Spacer(1, 10), *sections.severity(),
                  PageBreak(), *sections.categories(), Spacer(1, 10),
                  *sections.year_groups(), PageBreak(), *sections.when(), Spacer(1, 10),
                  *sections.phrases()]
    story += [Spacer(1, 14), *sections.reading_notes()]
    return story
