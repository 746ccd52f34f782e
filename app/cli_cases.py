"""`cases list [--json]`: the school's cases for a DSL's script or a quick look (DESIGN §12).

Acts as a signed-in staff member (`--user`, `--password-file`). It lists references, pupils,
status and counts — never chronology text.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli_common import add_common, add_sign_in, as_staff


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
