"""`retention plan | apply [--yes] | policy` (issue 7): remove old records on a schedule.

Every command acts as a signed-in DSL (`--user`, `--password-file`), so the audit log names who
removed what; an IT technician schedules `retention apply --yes` with the DSL's password file.
`plan` prints what would go and what is kept back and why; `apply` prints the same, asks
(unless `--yes`), removes in audited batches and prints what it removed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from app.cli_common import add_common, add_sign_in, as_staff
from app.errors import ValidationError

if TYPE_CHECKING:
    from app.domain.retention import RetentionPlan, RetentionResult
    from app.services.console import Console
    from app.services.users import UserSession


def register(sub: Any) -> None:
    retention = sub.add_parser("retention", help="remove old records under the retention "
                                                 "policy (legal holds are always kept)")
    add_common(retention)
    actions = retention.add_subparsers(title="retention commands", metavar="ACTION")
    plan = actions.add_parser("plan", help="show what a run would remove, and what it keeps")
    plan.add_argument("--json", action="store_true", help="print JSON")
    plan.set_defaults(handler=_cmd_plan)
    apply = actions.add_parser("apply", help="remove what the policy says is due")
    apply.add_argument("--yes", action="store_true",
                       help="do not ask first (for a scheduled task)")
    apply.set_defaults(handler=_cmd_apply)
    policy = actions.add_parser("policy", help="show the policy, or change it with options")
    policy.add_argument("--false-positive-days", type=int, metavar="N")
    policy.add_argument("--closed-days", type=int, metavar="N")
    policy.add_argument("--case-years", type=int, metavar="N")
    policy.set_defaults(handler=_cmd_policy)
    for action in (plan, apply, policy):
        add_common(action)
        add_sign_in(action)
    retention.set_defaults(handler=lambda _a: (retention.print_usage(), 2)[1])


def _cmd_plan(args: argparse.Namespace) -> int:
    from app.services import retention

    plan = as_staff(args, lambda console, session: retention.plan(console, session))
    if args.json:
        print(json.dumps(_plan_doc(plan)))
    else:
        print("\n".join(plan.lines()))
    return 0


def _cmd_apply(args: argparse.Namespace) -> int:
    result = as_staff(args, lambda console, session: _apply(args, console, session))
    if result is None:
        print("Nothing is due for removal.")
        return 0
    stopped = " (stopped early)" if result.cancelled else ""
    print(f"Removed {result.incidents} incidents, {result.cases} cases and "
          f"{result.evidence_files} evidence files in {result.batches} audited "
          f"batches{stopped}.")
    return 0


def _apply(args: argparse.Namespace, console: Console,
           session: UserSession) -> RetentionResult | None:
    from app.services import retention

    plan = retention.plan(console, session)
    print("\n".join(plan.lines()))
    if plan.empty and not args.yes:
        return None
    if not args.yes and not _confirmed():
        raise ValidationError("Nothing was removed: the removal was not confirmed "
                              "(type yes, or pass --yes).")
    result = retention.apply(console, session, plan, progress=_progress)
    if result.batches:
        print(file=sys.stderr)  # end the progress line
    return result


def _confirmed() -> bool:
    try:
        return input("Remove these for good? Type yes to go on: ").strip().lower() == "yes"
    except EOFError:
        print()  # end the question's line before the one-line refusal
        return False


def _progress(done: int, total: int) -> None:
    print(f"\r  {done}/{total} incidents removed", end="", file=sys.stderr, flush=True)


def _cmd_policy(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from app.domain.retention import RetentionPolicy
    from app.services import retention

    changes = {name: getattr(args, name) for name in
               ("false_positive_days", "closed_days", "case_years")
               if getattr(args, name) is not None}

    def act(console: Console, session: UserSession) -> dict[str, str]:
        if not changes:
            return retention.current_policy(console, session).as_settings()
        try:
            base = retention.current_policy(console, session)
        except ValidationError:
            base = RetentionPolicy()  # repairing a bad setting: the rest start from defaults
        policy = replace(base, **changes)  # validates each value
        retention.set_policy(console, session, policy)
        return policy.as_settings()

    for key, value in as_staff(args, act).items():
        print(f"{key} = {value}")
    return 0


def _plan_doc(plan: RetentionPlan) -> dict[str, Any]:
    return {"now": plan.cutoffs.now.isoformat(), **plan.policy.as_settings(),
            "false_positives": plan.false_positives, "closed_incidents": plan.closed_incidents,
            "cases": list(plan.cases), "case_incidents": plan.case_incidents,
            "evidence_files": plan.evidence_files,
            "kept": [{"kind": h.kind, "count": h.count, "reason": h.reason}
                     for h in plan.held if h.count]}
