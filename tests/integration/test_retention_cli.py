"""`retention policy | plan | apply` on the demo school, as a DSL's scheduled task runs them:
a plan that counts, an apply that asks first (or takes --yes), the demo's case on legal hold kept
whole, the audit chain still verifying, and one-line refusals for a headteacher and for no
sign-in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, run_main


def _held_case(common: list[str], staff: list[str]) -> dict[str, object]:
    code, out, err = run_main("cases", "list", *common, *staff, "--json")
    assert code == 0, err
    (held,) = [c for c in json.loads(out) if c["legal_hold"]]
    return held  # type: ignore[no-any-return]


def test_retention_plans_asks_applies_and_keeps_the_case_on_legal_hold(
        tmp_path: Path, demo_folder: tuple[list[str], list[str]]) -> None:
    common, dsl = demo_folder
    held = _held_case(common, dsl)

    code, out, err = run_main("retention", "policy", *common, *dsl, "--false-positive-days",
                              "30", "--closed-days", "30")
    assert code == 0, err
    assert "retention.false_positive_days = 30" in out and "retention.case_years = 25" in out
    code, out, err = run_main("retention", "plan", *common, *dsl, "--json")
    assert code == 0, err
    plan = json.loads(out)
    due = plan["false_positives"] + plan["closed_incidents"]
    assert due > 0 and plan["cases"] == []

    # Without --yes it asks; anything but "yes" removes nothing and exits non-zero.
    asked = subprocess.run([sys.executable, str(REPO / "main.py"), "retention", "apply",
                            *common, *dsl], input="no\n", capture_output=True, text=True,
                           cwd=REPO, timeout=600)
    assert asked.returncode == 1 and "Remove these for good?" in asked.stdout
    assert asked.stderr.strip().splitlines() == [
        "kestrel: Nothing was removed: the removal was not confirmed (type yes, or pass --yes)."]
    code, out, _ = run_main("retention", "plan", *common, *dsl, "--json")
    assert json.loads(out)["false_positives"] == plan["false_positives"]

    code, out, err = run_main("retention", "apply", *common, *dsl, "--yes")
    assert code == 0, err
    assert f"Removed {due} incidents, 0 cases" in out
    code, out, _ = run_main("retention", "plan", *common, *dsl, "--json")
    assert json.loads(out)["false_positives"] == json.loads(out)["closed_incidents"] == 0
    assert _held_case(common, dsl) == held  # the legal hold kept every one of its incidents
    code, out, err = run_main("verify", *common)
    assert code == 0, err

    code, _, err = run_main("retention", "plan", *common, "--user", "head",
                            "--password-file", str(tmp_path / "pw"))
    assert code == 1 and err.strip() == ("kestrel: A Headteacher cannot remove old records "
                                         "under the retention policy in Kestrel.")
    code, _, err = run_main("retention", "apply", *common, "--yes")
    assert code == 1 and "--user NAME --password-file FILE" in err
    code, _, err = run_main("retention", "policy", *common, *dsl, "--case-years", "0")
    assert code == 1 and "retention.case_years must be a whole number of years" in err
