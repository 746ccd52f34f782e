"""The sections the governors' report and the annual review pack share, built from a
(suppressed) `Dashboard`: key figures, incidents over time, categories with their false-positive
rates, year groups, when in the week, severity, top phrases, review times, and how to read the
numbers. An empty range gets its sentence instead of empty charts.
"""

from __future__ import annotations

from typing import Any

from reportlab.platypus import KeepTogether, Paragraph, Spacer

from app.domain.trends import Dashboard, within_label
from app.domain.trends import count_text as count
from app.reports.pdf_base import FRAME_WIDTH, Styles, esc, grid, markup
from app.reports.trend_drawings import heat_map, horizontal_bars, legend, stacked_bars

CHART_HEIGHT = 190


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.0f}%"


class TrendSections:
    def __init__(self, board: Dashboard, st: Styles) -> None:
        self.b, self.st = board, st

    def empty(self) -> list[Any]:
        """The empty state: the reason, in place of every chart."""
        return [Paragraph(esc(self.b.empty_reason), self.st.body)] if self.b.empty_reason \
            else []

    def key_figures(self) -> list[Any]:
        b, st = self.b, self.st
        fp_total = sum(r.false_positives or 0 for r in b.false_positives)
        every = sum(r.total or 0 for r in b.false_positives)
        rows = [["Incidents counted", count(b.total)],
                ["False positives (left out of the counts above)",
                 f"{count(fp_total)} of {count(every)}" if every else "none"],
                ["Half first reviewed", within_label(b.review_times.median_within_s)],
                ["Nine in ten first reviewed", within_label(b.review_times.p90_within_s)]]
        if b.comparison is not None:
            last = sum(v or 0 for v in b.comparison.values)
            hidden = any(v is None for v in b.comparison.values)
            rows.append(["The same dates last year", ("at least " if hidden else "")
                         + f"{last:,}"])
        cells = [[Paragraph(markup(a), st.cell_muted), Paragraph(esc(v), st.cell_bold)]
                 for a, v in rows]
        return [grid(cells, [FRAME_WIDTH * 0.55, FRAME_WIDTH * 0.45], header=False)]

    def over_time(self) -> list[Any]:
        b, st = self.b, self.st
        if b.empty_reason:
            return self.empty()
        keys = [*b.over_time.series] + ([b.comparison] if b.comparison else [])
        return [KeepTogether([
            Paragraph(f"Incidents per {b.over_time.granularity.value}, by category", st.h2),
            stacked_bars(b.over_time, FRAME_WIDTH, CHART_HEIGHT, b.comparison),
            Spacer(1, 4), legend(keys, FRAME_WIDTH)])]

    def severity(self) -> list[Any]:
        b, st = self.b, self.st
        if b.empty_reason:
            return []
        return [KeepTogether([
            Paragraph(f"Incidents per {b.by_severity.granularity.value}, by severity", st.h2),
            stacked_bars(b.by_severity, FRAME_WIDTH, CHART_HEIGHT * 0.8),
            Spacer(1, 4), legend(b.by_severity.series, FRAME_WIDTH, columns=5)])]

    def categories(self) -> list[Any]:
        b, st = self.b, self.st
        if b.empty_reason:
            return self.empty()
        rows = [[Paragraph(h, st.cell_bold) for h in
                 ("Category", "Incidents", "False positives", "False-positive rate")]]
        counted = {bar.key: bar.value for bar in b.by_category}
        for r in b.false_positives:
            rows.append([Paragraph(esc(r.label), st.cell),
                         Paragraph(count(counted.get(r.category_key, 0)), st.cell),
                         Paragraph(count(r.false_positives), st.cell),
                         Paragraph(percent(r.rate), st.cell)])
        widths = [FRAME_WIDTH * w for w in (0.46, 0.16, 0.19, 0.19)]
        return [Paragraph("By category", st.h2), horizontal_bars(b.by_category, FRAME_WIDTH),
                Spacer(1, 8), grid(rows, widths)]

    def year_groups(self) -> list[Any]:
        b, st = self.b, self.st
        if b.empty_reason:
            return []
        return [KeepTogether([Paragraph("By year group (at the time)", st.h2),
                              horizontal_bars(b.by_year_group, FRAME_WIDTH)])]

    def when(self) -> list[Any]:
        b, st = self.b, self.st
        if b.empty_reason:
            return []
        sources = ", ".join(f"{bar.label.lower()} {count(bar.value)}" for bar in b.by_source)
        return [KeepTogether([
            Paragraph("When in the week (UK time)", st.h2),
            heat_map(b.heat_map, FRAME_WIDTH),
            Paragraph("Darker is more; hatched grey cells hold fewer than 5. "
                      f"How they were seen: {esc(sources)}.", st.caption)])]

    def phrases(self) -> list[Any]:
        b, st = self.b, self.st
        if b.empty_reason or not b.top_phrases:
            return []
        rows = [[Paragraph(h, st.cell_bold) for h in ("Library phrase", "Category",
                                                      "Incidents")]]
        names = {r.category_key: r.label for r in b.false_positives}
        for p in b.top_phrases:
            rows.append([Paragraph(esc(p.phrase), st.cell),
                         Paragraph(esc(names.get(p.category_key, p.category_key)), st.cell),
                         Paragraph(count(p.incidents), st.cell)])
        widths = [FRAME_WIDTH * w for w in (0.45, 0.4, 0.15)]
        return [KeepTogether([Paragraph("Most frequent library phrases", st.h2),
                              grid(rows, widths),
                              Paragraph("The phrase library's own words, never a pupil's.",
                                        st.caption)])]

    def reading_notes(self) -> list[Any]:
        st = self.st
        notes = (
            "Counts are of incidents: one detection of a library phrase on one pupil's "
            "device, with its screenshot. A pupil can have many incidents about one concern.",
            "Numbers from 1 to 4 are shown as <5 so that no pupil can be picked out; a chart "
            "leaves them out (a stack marked +<5 holds at least one).",
            "Days and hours are UK school time. Year groups are as they were when the "
            "incident happened.",
            "False positives are incidents staff reviewed and found not to be a concern; "
            "they are left out of every count except the false-positive rates.",
            "Review time runs from the incident reaching the console to the first member of "
            "staff opening or triaging it, in bands (\"within 2 hours\").",
        )
        return [Paragraph("How to read these numbers", st.h2),
                *(Paragraph("• " + markup(n), st.muted) for n in notes)]
