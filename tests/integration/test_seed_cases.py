"""`main.py seed` leaves the demo school with a handful of cases and their chronologies, one of
them with restricted imagery — on a fresh folder, and on a demo school that has no cases yet
(once: a second seed adds incidents, not more cases). A real school gets no invented cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.cases import EntryKind
from app.services import cases, users
from app.services.demo_school import DEMO_DSL, DEMO_PASSWORD, DEMO_SCHOOL
from app.services.install import create_install, open_install
from app.services.seed import add_demo_staff
from tests.conftest import PASSPHRASE, run_main

pytestmark = pytest.mark.slow


def _options(tmp_path: Path) -> list[str]:
    (tmp_path / "pp").write_text(PASSPHRASE + "\n")
    (tmp_path / "demo-pw").write_text(DEMO_PASSWORD + "\n")
    return ["--data-dir", str(tmp_path / "demo"), "--key-mode", "passphrase",
            "--passphrase-file", str(tmp_path / "pp")]


def _listed(common: list[str], password_file: Path) -> list[dict[str, object]]:
    code, out, err = run_main("cases", "list", *common, "--user", "dsl", "--password-file",
                              str(password_file), "--json")
    assert code == 0, err
    listed: list[dict[str, object]] = json.loads(out)
    return listed


def test_seed_into_a_fresh_folder_leaves_cases_one_with_restricted_imagery(
        tmp_path: Path) -> None:
    common = _options(tmp_path)
    code, _out, err = run_main("seed", *common, "--incidents", "300", "--screenshots", "40",
                               "--workers", "0")
    assert code == 0, err
    listed = _listed(common, tmp_path / "demo-pw")
    assert len(listed) == 5 and all(c["incidents"] for c in listed)
    console = open_install(tmp_path / "demo", PASSPHRASE)
    try:
        dsl = users.login(console, DEMO_DSL[0], DEMO_PASSWORD)
        details = [cases.view_case(console, dsl, cases.find_case(console, dsl,
                                                                  str(c["reference"])))
                   for c in listed]
    finally:
        console.close()
    with_imagery = {d.summary.reference: d for d in details
                    if any(i.restricted for i in d.incidents)}
    first = with_imagery[str(listed[-1]["reference"])]  # the first opened: the police referral
    assert first.summary.legal_hold and first.summary.status.value == "referred"
    for d in details:
        written = [e for e in d.chronology if e.kind in (EntryKind.CONTACT, EntryKind.NOTE,
                                                         EntryKind.REFERRAL,
                                                         EntryKind.OUTCOME, EntryKind.ACTION)]
        assert len(written) >= 2, d.summary.reference


def test_seed_into_a_demo_school_without_cases_opens_them_once(tmp_path: Path) -> None:
    """A demo school made before cases existed: the next seed opens them, the one after
    does not open more."""
    common = _options(tmp_path)
    console, _recovery = create_install(tmp_path / "demo", DEMO_SCHOOL, *DEMO_DSL, DEMO_PASSWORD,
                                        key_mode="passphrase", passphrase=PASSPHRASE,
                                        is_demo=True, extra_setup=add_demo_staff)
    console.close()
    code, first, err = run_main("seed", *common, "--incidents", "200", "--workers", "0")
    assert code == 0, err
    code, second, err = run_main("seed", *common, "--incidents", "20", "--workers", "0")
    assert code == 0 and "Opened" not in second, err
    listed = _listed(common, tmp_path / "demo-pw")
    assert len(listed) == 5
    assert f"Opened 5 demo cases: {', '.join(sorted(str(c['reference']) for c in listed))}." \
        in first


def test_seed_into_a_real_school_opens_no_cases(school: list[str], tmp_path: Path) -> None:
    code, out, err = run_main("seed", *school, "--incidents", "50", "--workers", "0")
    assert code == 0 and "Opened" not in out, err
    assert _listed(school, tmp_path / "pw") == []
