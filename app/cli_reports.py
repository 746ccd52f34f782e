"""`report case REF`, `report trends --from D --to D` and `report review --year Y` (DESIGN §12).

Each acts as a signed-in staff member (`--user`, `--password-file`) so the audit log names who
made which report, and each prints where the PDF went and its SHA-256.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.cli_cases import add_case_report
from app.cli_common import add_common, add_sign_in, as_staff
from app.errors import ValidationError


def register(sub: Any) -> None:
    report = sub.add_parser("report", help="write a report PDF")
    add_common(report)
    kinds = report.add_subparsers(title="reports", metavar="KIND")
    add_case_report(kinds)

    trends = kinds.add_parser("trends", help="the governors' trend report for a range of dates")
    add_common(trends)
    add_sign_in(trends)
    trends.add_argument("--from", dest="start", type=_date, required=True,
                        help="first school date, YYYY-MM-DD")
    trends.add_argument("--to", dest="end", type=_date, required=True,
                        help="last school date, YYYY-MM-DD")
    trends.add_argument("--out", type=Path, required=True, help="the PDF to write")
    trends.add_argument("--narrative-file", type=Path,
                        help="a UTF-8 text file with the headteacher's commentary")
    trends.set_defaults(handler=_cmd_trends)

    review = kinds.add_parser("review", help="the annual filtering and monitoring review pack")
    add_common(review)
    add_sign_in(review)
    review.add_argument("--year", help="the school year, e.g. 2025-26 (2025 means the year "
                                       "starting in September 2025; default: this one)")
    review.add_argument("--out", type=Path,
                        help="the PDF to write (default monitoring-review-YYYY-YY.pdf here)")
    review.set_defaults(handler=_cmd_review)
    report.set_defaults(handler=lambda _a: (report.print_usage(), 2)[1])


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-09-01") from None


def _narrative(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        if path.stat().st_size > 64_000:
            raise ValidationError(f"The commentary file {path} is too large.")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Cannot read the commentary file {path} ({exc}).") from None


def _cmd_trends(args: argparse.Namespace) -> int:
    from app.services import trend_reports

    narrative = _narrative(args.narrative_file)
    result = as_staff(args, lambda console, session: trend_reports.governors_report(
        console, session, args.start, args.end, args.out, narrative))
    print(f"Wrote {result.path} ({result.pages} pages, SHA-256 {result.sha256}). "
          "Small numbers are shown as <5. The report is in the audit log.")
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from app.services import trend_reports

    result = as_staff(args, lambda console, session: trend_reports.review_pack(
        console, session, args.year, args.out))
    print(f"Wrote {result.path} ({result.pages} pages, SHA-256 {result.sha256}). "
          "The report is in the audit log.")
    return 0
