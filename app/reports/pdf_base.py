"""What every Kestrel PDF shares: the embedded DejaVu fonts, a calm palette and paragraph
styles, safe text for reportlab's markup, UK times, and the two-pass numbered canvas that puts
the protective marking at the top and "reference · marking · Page x of y" at the foot of every
page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from app.errors import ConfigError
from app.paths import RESOURCES

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm  # the running header sits above this
MARGIN_BOTTOM = 20 * mm  # the footer sits below this
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
HEADING = colors.HexColor("#1e3a5f")
RULE = colors.HexColor("#c5ccd3")
SHADE = colors.HexColor("#eef2f6")
PANEL = colors.HexColor("#e4e7eb")
NOTE = colors.HexColor("#fff4d6")  # a row that a later entry corrects
ALERT_HEX = "#9b1c1c"  # a failed check
ALERT = colors.HexColor(ALERT_HEX)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

try:
    UK_TIME: tzinfo | None = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # no tz database (e.g. Windows without tzdata): local time
    UK_TIME = None


def register_fonts() -> None:
    """Register DejaVu Sans and its bold once per process; reportlab embeds the subsets used.
    <b> in paragraph markup maps to the bold file; there is no italic."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = RESOURCES / "fonts"
    try:
        regular = TTFont(FONT, str(folder / "DejaVuSans.ttf"))
        bold = TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf"))
    except OSError as exc:
        raise ConfigError(f"The report font is missing from {folder} ({exc.strerror}); "
                          "reinstall Kestrel.") from None
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                  boldItalic=FONT_BOLD)


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    body: ParagraphStyle
    muted: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_muted: ParagraphStyle
    hash: ParagraphStyle
    captured: ParagraphStyle
    caption: ParagraphStyle
    marking: ParagraphStyle


def make_styles() -> Styles:
    def style(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
        kw.setdefault("fontName", FONT)
        kw.setdefault("textColor", INK)
        return ParagraphStyle(name, fontSize=size, leading=leading, **kw)

    return Styles(
        title=style("title", 24, 30, fontName=FONT_BOLD, textColor=HEADING, spaceAfter=4),
        subtitle=style("subtitle", 13, 18, textColor=MUTED, spaceAfter=14),
        h1=style("h1", 16, 21, fontName=FONT_BOLD, textColor=HEADING, spaceAfter=8),
        h2=style("h2", 12, 16, fontName=FONT_BOLD, textColor=HEADING, spaceBefore=10,
                 spaceAfter=6),
        h3=style("h3", 9.5, 13, fontName=FONT_BOLD, textColor=MUTED, spaceBefore=8,
                 spaceAfter=2),
        body=style("body", 10, 14.5, spaceAfter=6),
        muted=style("muted", 9, 13, textColor=MUTED, spaceAfter=6),
        cell=style("cell", 8.5, 11.5),
        cell_bold=style("cell_bold", 8.5, 11.5, fontName=FONT_BOLD),
        cell_muted=style("cell_muted", 8, 11, textColor=MUTED),
        hash=style("hash", 8, 11),
        captured=style("captured", 10, 15, backColor=colors.HexColor("#f7f9fb"),
                       borderColor=RULE, borderWidth=0.6, borderPadding=(6, 7, 7, 7),
                       spaceBefore=6, spaceAfter=14, leftIndent=7, rightIndent=7),
        caption=style("caption", 8, 11, textColor=MUTED, spaceBefore=3, spaceAfter=8),
        marking=style("marking", 15, 20, fontName=FONT_BOLD, alignment=TA_CENTER,
                      borderColor=INK, borderWidth=1.6, borderPadding=(7, 8, 9, 8),
                      leftIndent=8, rightIndent=8,
                      spaceBefore=8, spaceAfter=18),
    )


def clean(text: str) -> str:
    """Text that reportlab can encode: no control characters (tabs and newlines kept), no lone
    surrogates (a badly decoded capture must not stop the report)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def markup(text: str) -> str:
    """Any text, escaped for Paragraph markup: a pupil's `<b>&</script>` prints as typed.
    Newlines become line breaks and tabs spaces."""
    safe = escape(clean(text)).replace("\t", "    ")
    return "<br/>".join(safe.split("\n"))


def esc(text: str | None, empty: str = "—") -> str:
    """A field for the reader: escaped, or `empty` when there is nothing to show."""
    if text is None or not text.strip():
        return empty
    return markup(text.strip())


def chunks(text: str, limit: int = 900) -> list[str]:
    """Long text cut at spaces into pieces of at most about `limit` characters, so no single
    table row is taller than a page (a table splits only between rows)."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", limit // 2, limit)
        if cut < 0:
            cut = rest.rfind(" ", limit // 2, limit)
        if cut < 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest or not pieces else pieces


def grid(rows: list[list[Any]], widths: list[float], header: bool = True,
         shaded: Sequence[int] = (), rules: Sequence[int] | None = None,
         extra: Sequence[tuple[Any, ...]] = ()) -> Table:
    """A quiet table: hairlines under the rows in `rules` (default: every row), a shaded
    header that repeats on each page, `shaded` rows on a pale note colour."""
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    for r in range(len(rows)) if rules is None else rules:
        commands.append(("LINEBELOW", (0, r), (-1, r), 0.4, RULE))
    if header:
        commands += [("BACKGROUND", (0, 0), (-1, 0), SHADE),
                     ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED)]
    commands += [("BACKGROUND", (0, r), (-1, r), NOTE) for r in shaded]
    table.setStyle(TableStyle([*commands, *extra]))
    return table


def fact_grid(short: Sequence[tuple[str, str]], long: Sequence[tuple[str, str | None]],
              st: Styles, label_width: float = 88) -> Table:
    """Short facts two to a row, then long ones (titles, addresses) across the full width,
    continued on further rows when very long. Long facts whose value is None are left out."""
    value_width = (FRAME_WIDTH - 2 * label_width) / 2
    rows: list[list[Any]] = []
    for a, b in zip(short[::2], short[1::2], strict=False):
        rows.append([Paragraph(markup(a[0]), st.cell_muted), Paragraph(esc(a[1]), st.cell),
                     Paragraph(markup(b[0]), st.cell_muted), Paragraph(esc(b[1]), st.cell)])
    if len(short) % 2:
        label, value = short[-1]
        rows.append([Paragraph(markup(label), st.cell_muted), Paragraph(esc(value), st.cell),
                     "", ""])
    spans: list[tuple[Any, ...]] = []
    rules = list(range(len(rows)))
    for name, text in long:
        if text is None:
            continue
        for n, piece in enumerate(chunks(text)):
            spans.append(("SPAN", (1, len(rows)), (3, len(rows))))
            rows.append([Paragraph(markup(name) if n == 0 else "", st.cell_muted),
                         Paragraph(esc(piece), st.cell), "", ""])
        rules.append(len(rows) - 1)
    widths = [label_width, value_width, label_width, value_width]
    return grid(rows, widths, header=False, rules=rules, extra=spans)


def key_values(pairs: Sequence[tuple[str, str | None]], st: Styles,
               label_width: float = 118) -> Table:
    """Label / value rows; values are plain text (escaped here), long ones continue on
    further rows. Rows whose value is None are left out."""
    rows: list[list[Any]] = []
    for label, value in pairs:
        if value is None:
            continue
        for n, piece in enumerate(chunks(value) or [""]):
            rows.append([Paragraph(markup(label) if n == 0 else "", st.cell_muted),
                         Paragraph(esc(piece), st.cell)])
    return grid(rows, [label_width, FRAME_WIDTH - label_width], header=False)


def colour_or(value: str, fallback: str = "#52606d") -> str:
    """A "#rrggbb" colour from the snapshot, or a neutral grey if it is not one."""
    return value if _HEX_COLOUR.fullmatch(value or "") else fallback


def tint(hex_colour: str, amount: float = 0.25) -> str:
    """The colour mixed into white: a highlighter that keeps black text readable."""
    c = colors.HexColor(colour_or(hex_colour))
    mix = [round(255 * (1 - amount + amount * v)) for v in (c.red, c.green, c.blue)]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def uk_time(moment: datetime) -> datetime:
    return moment.astimezone(UK_TIME) if UK_TIME is not None else moment.astimezone()


def when(moment: datetime | None, seconds: bool = False) -> str:
    """'Mon 2 Nov 2026, 09:41 GMT' in UK time (GMT or BST, named so nobody has to guess)."""
    if moment is None:
        return "—"
    t = uk_time(moment)
    clock = f"{t:%H:%M:%S}" if seconds else f"{t:%H:%M}"
    return f"{t:%a} {t.day} {t:%b %Y}, {clock} {t.tzname() or ''}".rstrip()


def span(seconds: float) -> str:
    """'3 days 2 h', '2 h 5 min', '40 min' — how far apart two times are."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


PageCount = Callable[[int], None]


def numbered_canvas(reference: str, marking: str, school: str,
                    on_count: PageCount) -> type[Canvas]:
    """The standard two-pass numbered canvas: pages are held until the end, when the total is
    known, then each gets its header and footer. `on_count` hears the page total."""
    reference, marking, school = clean(reference), clean(marking), clean(school)

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("pdfVersion", (1, 7))  # AES-256 (R6) is newer than 1.4
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            on_count(total)
            for state in self._held:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            self.saveState()
            top = PAGE_HEIGHT - 12 * mm
            self.setFillColor(INK)
            self.setFont(FONT_BOLD, 10)
            self.drawCentredString(PAGE_WIDTH / 2, top, marking)
            self.setFont(FONT, 8)
            self.setFillColor(MUTED)
            self.drawString(MARGIN_X, top, _fit(school, 70))
            self.drawRightString(PAGE_WIDTH - MARGIN_X, top, reference)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_X, top - 4 * mm, PAGE_WIDTH - MARGIN_X, top - 4 * mm)
            bottom = 11 * mm
            self.line(MARGIN_X, bottom + 5 * mm, PAGE_WIDTH - MARGIN_X, bottom + 5 * mm)
            self.setFillColor(INK)
            self.setFont(FONT, 8.5)
            self.drawCentredString(PAGE_WIDTH / 2, bottom,
                                   f"{reference} · {marking} · Page {self._pageNumber} of "
                                   f"{total}")
            self.restoreState()

    return NumberedCanvas


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
