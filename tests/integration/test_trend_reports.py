"""The governors' trend report and the annual review pack, made from the demo school and read
back with two independent readers (pypdf and poppler's pdftotext): the numbers are the
dashboard's, small ones are "<5" whoever makes the report, no pupil is named, the empty states
say why, and each report is in the audit log with its hash."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.domain.trends import TrendQuery
from app.errors import ValidationError
from app.services import audit_log, trend_reports, trends, users
from app.services.demo_accounts import DEMO_PASSWORD
from tests.conftest import DSL_PASSWORD, PASSPHRASE, run_main

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) is not installed")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def _pages_agree(pdf: Path, text: str) -> int:
    pages = len(PdfReader(str(pdf)).pages)
    footers = [(int(a), int(b)) for a, b in re.findall(r"Page (\d+) of (\d+)", text)]
    assert footers == [(n, pages) for n in range(1, pages + 1)]
    return pages


@needs_poppler
def test_the_governors_report_shows_the_dashboards_numbers_with_small_ones_hidden(
        demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    end = demo.clock().date()
    start = end - timedelta(days=120)
    out = tmp_path / "governors.pdf"
    made = trend_reports.governors_report(demo, dsl, start, end, out,
                                          "Bullying rose after half term.\n\nWe acted.")
    text = _text(out)
    assert _pages_agree(out, text) == made.pages
    assert "Bullying rose after half term." in text and "OFFICIAL-SENSITIVE" in text
    # Made by the DSL, who sees every number on screen, it still hides 1–4:
    full = trends.dashboard(demo, dsl, TrendQuery(start, end))
    table = text[text.index("Category"):]
    small = 0
    for bar in full.by_category:
        assert bar.value is not None  # the DSL's own screen shows every number
        line = next(ln for ln in table.splitlines() if ln.strip().startswith(bar.label))
        printed = line.split()[len(bar.label.split())]
        small += 1 <= bar.value <= 4
        assert printed == ("<5" if 1 <= bar.value <= 4 else f"{bar.value:,}")
    assert small, "the demo school should have a category with fewer than 5 incidents"
    with demo.reading() as db:
        names = [n for (n,) in db.connection().exec_driver_sql(
            "SELECT display_name FROM subjects").all()]
    assert not [n for n in names if n in text], "a pupil's name is in the governors' report"
    event = audit_log.recent_events(demo, dsl, 5, action_prefix="report.trends")[0]
    details = json.loads(event.details) if isinstance(event.details, str) else event.details
    assert details["pdf_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == made.sha256


@needs_poppler
def test_empty_inverted_and_future_ranges_print_their_reason(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    head = users.login(demo, "head", DEMO_PASSWORD)
    today = demo.clock().date()
    for start, end, words in ((date(2020, 1, 1), date(2020, 2, 1), "No incidents"),
                              (today, today - timedelta(days=5), "ends before it starts"),
                              (today + timedelta(days=3), today + timedelta(days=9),
                               "in the future")):
        out = tmp_path / f"{start}.pdf"
        trend_reports.governors_report(demo, head, start, end, out)
        text = _text(out)
        assert words in text
        assert "Incidents per week" not in text and "Incidents per day" not in text
        _pages_agree(out, text)


@needs_poppler
def test_the_review_pack_covers_devices_library_volumes_and_sign_off(demo,
                                                                      tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    head = users.login(demo, "head", DEMO_PASSWORD)
    out = tmp_path / "review.pdf"
    trend_reports.review_pack(demo, head, None, out)
    text = _text(out)
    _pages_agree(out, text)
    with demo.reading() as db:
        devices = db.connection().exec_driver_sql(
            "SELECT COUNT(*) FROM devices WHERE state = 'active'").scalar()
    line = next(ln for ln in text.splitlines() if "Devices enrolled and active" in ln)
    assert line.split()[-1] == f"{devices:,}"
    for role in trend_reports_signers():
        assert role in text
    assert "Library in force: version" in text and "False-positive" in text
    with pytest.raises(ValidationError, match="2025-26"):
        trend_reports.review_pack(demo, head, "twenty", tmp_path / "x.pdf")
    with pytest.raises(ValidationError, match="not one school year"):
        trend_reports.review_pack(demo, head, "2025-27", tmp_path / "x.pdf")
    with pytest.raises(ValidationError, match="no school year"):
        trend_reports.review_pack(demo, head, f"{date.today().year + 2}", tmp_path / "x.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.pdf"]


@needs_poppler
def test_a_school_with_no_incidents_or_devices_yet_gets_both_reports_saying_so(
        install, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    today = install.clock().date()
    trend_reports.governors_report(install, dsl, today - timedelta(days=30), today,
                                   tmp_path / "g.pdf")
    trend_reports.review_pack(install, dsl, None, tmp_path / "r.pdf")
    for name in ("g.pdf", "r.pdf"):
        text = _text(tmp_path / name)
        _pages_agree(tmp_path / name, text)
        assert "No incidents in this range" in text
    review = _text(tmp_path / "r.pdf")
    line = next(ln for ln in review.splitlines() if "Devices enrolled and active" in ln)
    assert line.split()[-1] == "0"


def trend_reports_signers() -> tuple[str, ...]:
    from app.reports.review_pack import SIGNERS
    return SIGNERS


@needs_poppler
def test_report_commands_write_both_pdfs_and_refuse_bad_dates(demo_root: Path,
                                                               tmp_path: Path) -> None:
    password, phrase = tmp_path / "pw", tmp_path / "phrase"
    password.write_text(DEMO_PASSWORD)
    phrase.write_text(PASSPHRASE)
    common = ["--data-dir", str(demo_root), "--passphrase-file", str(phrase), "--user", "head",
              "--password-file", str(password)]
    today = date.today()
    code, out, err = run_main("report", "trends", "--from", str(today - timedelta(days=60)),
                              "--to", str(today), "--out", str(tmp_path / "t.pdf"), *common)
    assert code == 0, err
    assert "<5" in out and (tmp_path / "t.pdf").exists()
    code, out, err = run_main("report", "review", "--out", str(tmp_path / "r.pdf"), *common)
    assert code == 0, err
    assert _text(tmp_path / "r.pdf").count("Signature") == 4
    code, _out, err = run_main("report", "trends", "--from", "yesterday", "--to", str(today),
                               "--out", str(tmp_path / "bad.pdf"), *common)
    assert code != 0 and "is not a date like" in err
    assert not (tmp_path / "bad.pdf").exists()
