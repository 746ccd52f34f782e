"""`cases list [--json]` and `report case REF --out F.pdf` (DESIGN §12).

Both act as a signed-in staff member (`--user`, `--password-file`), so the audit log names who
listed or exported what. The list shows references, pupils, status and counts — never
chronology text. The report writes the referral PDF and its manifest beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli_common import add_common, add_sign_in, as_staff, read_secret

if TYPE_CHECKING:
    from app.services.console import Console
    from app.services.users import UserSession


def register(sub: Any) -> None:
    cases = sub.add_parser("cases", help="list cases")
    add_common(cases)
    actions = cases.add_subparsers(title="cases commands", metavar="ACTION")
    listing = actions.add_parser("list", help="list cases, newest first")
    add_common(listing)
    add_sign_in(listing)
    listing.add_argument("--status", choices=("open", "referred", "monitoring", "closed"))
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_cmd_list)
    cases.set_defaults(handler=lambda _a: (cases.print_usage(), 2)[1])


def add_case_report(kinds: Any) -> None:
    """`report case REF --out F.pdf` (registered by app.cli_reports beside the other reports)."""
    case = kinds.add_parser("case", help="a case's referral PDF (and its manifest.json)")
    add_common(case)
    add_sign_in(case)
    case.add_argument("reference", help="the case reference, e.g. KES-2026-0042")
    case.add_argument("--out", type=Path, required=True, help="the PDF to write")
    case.add_argument("--for", dest="template", choices=("police", "mash", "lado"),
                      default="mash", help="which agency the pack is for (default mash)")
    case.add_argument("--purpose", default="Referral of a safeguarding concern",
                      help="what the referral is for (printed on the cover, audited)")
    # `--password-file` already signs the user in (every staff command), so the PDF's own
    # password has its own option (docs/decisions.md).
    case.add_argument("--pdf-password-file", type=Path,
                      help="protect the PDF (AES-256) with the password in this file")
    case.set_defaults(handler=_cmd_report_case)


def _cmd_report_case(args: argparse.Namespace) -> int:
    from app.services import case_export, cases

    password = (read_secret(args.pdf_password_file, "PDF password")
                if args.pdf_password_file else None)

    def export(console: Console, session: UserSession) -> case_export.ExportResult:
        case_id = cases.find_case(console, session, args.reference)
        return case_export.export_case(console, session, case_id, args.out, args.purpose,
                                       args.template, password)

    result = as_staff(args, export)
    print(f"Wrote {result.pdf} ({result.pages} pages, SHA-256 {result.pdf_sha256}) and "
          f"{result.manifest.name}. The export is in the audit log.")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from app.domain.cases import CaseStatus
    from app.services import cases

    status = CaseStatus(args.status) if args.status else None
    rows = as_staff(args, lambda console, session: cases.list_cases(console, session, status))
    if args.json:
        print(json.dumps([{
            "reference": c.reference, "pupil": c.subject_name, "year_group": c.year_group,
            "status": c.status.value, "legal_hold": c.legal_hold,
            "opened_at": c.opened_at.isoformat(), "incidents": c.incident_count,
            "last_entry_at": c.last_entry_at.isoformat() if c.last_entry_at else None}
            for c in rows]))
        return 0
    if not rows:
        print("No cases yet.")
    for c in rows:
        hold = "  LEGAL HOLD" if c.legal_hold else ""
        year = f"Y{c.year_group}" if c.year_group is not None else "  "
        print(f"{c.reference}  {c.status.label:<10} {c.subject_name:<28} {year:<4} "
              f"{c.incident_count:>4} incident(s)  opened {c.opened_at:%Y-%m-%d}{hold}")
    return 0
