"""`report case` on the demo school: the referral PDF, its manifest and its audit record agree;
restricted imagery is withheld and identified by its hashes; bad input leaves no file behind.
The PDF is read back with pdftotext and pypdf, independent of the code that wrote it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.services import audit_log, cases, users
from app.services.demo_school import DEMO_PASSWORD, create_demo_school
from app.services.install import open_install
from tests.conftest import PASSPHRASE, run_main

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    root = tmp_path_factory.mktemp("export")
    console = create_demo_school(root / "demo", incidents=200, screenshots=30,
                                 key_mode="passphrase", passphrase=PASSPHRASE, workers=1)
    console.close()
    (root / "pp").write_text(PASSPHRASE + "\n")
    (root / "pw").write_text(DEMO_PASSWORD + "\n")
    staff = ["--data-dir", str(root / "demo"), "--key-mode", "passphrase", "--passphrase-file",
             str(root / "pp"), "--user", "dsl", "--password-file", str(root / "pw")]
    return staff, root


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_the_referral_pdf_its_manifest_and_the_audit_log_agree(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    staff, root = demo
    code, out, err = run_main("cases", "list", *staff, "--json")
    restricted_case = json.loads(out)[-1]["reference"]  # the first case opened: sextortion
    pdf = tmp_path / "referral.pdf"
    code, out, err = run_main("report", "case", restricted_case, *staff, "--out", str(pdf),
                              "--for", "police", "--purpose", "Referral to police: sextortion")
    assert code == 0, err
    manifest = json.loads((tmp_path / "referral.manifest.json").read_text())
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert manifest["pdf"] == {"file": "referral.pdf", "sha256": digest}
    text = _text(pdf)
    assert restricted_case in text and "OFFICIAL-SENSITIVE" in text
    withheld = [e for e in manifest["evidence"] if e["restricted"]]
    assert withheld and not any(e["embedded"] for e in withheld)
    for item in withheld:
        assert item["plaintext_sha256"] in text.replace("\n", "").replace(" ", "") or \
            item["plaintext_sha256"][:32] in text
    pages = len(PdfReader(str(pdf)).pages)
    assert f"of {pages}" in text

    console = open_install(root / "demo", PASSPHRASE)
    try:
        dsl = users.login(console, "dsl", DEMO_PASSWORD)
        case_id = cases.find_case(console, dsl, restricted_case)
        events = audit_log.recent_events(console, dsl, 50, target=f"case:{case_id}",
                                         action_prefix="case.export")
        assert events and json.loads(events[0].details)["pdf_sha256"] == digest
    finally:
        console.close()


def test_an_unknown_case_or_an_unwritable_path_is_a_clear_error_and_leaves_nothing(
        demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    staff, _root = demo
    code, _out, err = run_main("report", "case", "KES-1999-0001", *staff, "--out",
                               str(tmp_path / "x.pdf"))
    assert code == 1 and "no case" in err.lower() and err.count("\n") == 1
    code, out, _err = run_main("cases", "list", *staff, "--json")
    reference = json.loads(out)[0]["reference"]
    nowhere = tmp_path / "no" / "such" / "folder" / "x.pdf"
    code, _out, err = run_main("report", "case", reference, *staff, "--out", str(nowhere))
    assert code == 1 and "Traceback" not in err
    assert not list(tmp_path.rglob("*.pdf")) and not list(tmp_path.rglob("*.part"))
