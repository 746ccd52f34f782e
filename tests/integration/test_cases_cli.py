"""`cases list` on the demo school: its invented cases (one with restricted imagery, one on
legal hold) as a DSL's script sees them, and a clear error without a sign-in."""

from __future__ import annotations

import json

from tests.conftest import run_main


def test_cases_list_shows_the_demo_cases_without_their_chronology(
        demo_folder: tuple[list[str], list[str]]) -> None:
    common, dsl = demo_folder
    code, out, err = run_main("cases", "list", *common, *dsl, "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert len(listed) == 5
    assert all(c["reference"].startswith("KES-") and c["incidents"] >= 1 for c in listed)
    assert sum(c["legal_hold"] for c in listed) == 1
    assert {c["status"] for c in listed} >= {"referred", "closed", "monitoring"}
    assert "Phoned mum" not in out  # references and counts, never what was written
    code, out, err = run_main("cases", "list", *common, *dsl, "--status", "closed")
    assert code == 0 and out.count("KES-") == 1 and "Closed" in out
    code, _, err = run_main("cases", "list", *common)
    assert code == 1 and "--user NAME --password-file FILE" in err
