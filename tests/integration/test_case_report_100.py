"""The issue's "must show" for a referral of 100 incidents with screenshots, five of them
restricted imagery: exported through `case_export.export_case` from a real install (sealed
evidence on disk, the audit log) and read back with two independent readers, pypdf (structure:
pages, image XObjects) and poppler's `pdftotext` (what a person sees). Also the faults: a
missing and an altered evidence file are reported in the PDF as failed, never embedded, and
the export still succeeds.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageStat
from pypdf import PdfReader

from app.domain.detail import IncidentDetail
from app.domain.dto import IncidentQuery, IncidentRow
from app.services import audit_log, case_export, cases, evidence, incident_view, incidents, users
from app.services.console import Console
from app.services.install import create_install
from app.services.seed import seed_incidents, seed_reference
from app.services.users import UserSession
from tests.conftest import DSL_PASSWORD, PASSPHRASE
from tests.pdf_pages import incident_pages

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="needs poppler-utils")]

SEED = 2026
EMBEDDED, RESTRICTED = 95, 5
UK = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Export:
    console: Console
    dsl: UserSession
    case_id: int
    result: case_export.ExportResult
    manifest: dict[str, Any]
    order: list[int]  # incident ids in the PDF's order ("Incident n of 100" is order[n - 1])
    details: dict[int, IncidentDetail]
    pages: list[str]  # pdftotext -layout, one string per page
    reader: PdfReader


def one_pupil_install(root: Path, count: int) -> tuple[Console, UserSession]:
    """An install whose seeded incidents all concern one pupil, every one with a screenshot.
    Test set-up: `seed_reference` with a single pupil, called before `seed_incidents` (which
    then reuses it), is how a case — always about one pupil — gets this many incidents."""
    console, _recovery = create_install(root, "Test School", "dsl", "Dana Lead", DSL_PASSWORD,
                                        key_mode="passphrase", passphrase=PASSPHRASE)
    seed_reference(console, SEED, pupils=1, devices=4)
    seed_incidents(console, count, count, seed=SEED, workers=0)
    return console, users.login(console, "dsl", DSL_PASSWORD)


def by_incident_of(done: Export) -> dict[int, Any]:
    return {e["incident"]: e for e in done.manifest["evidence"]}


def rows(console: Console, dsl: UserSession) -> list[IncidentRow]:
    page = incidents.list_incidents(console, dsl, IncidentQuery(), limit=500)
    assert all(r.has_screenshot for r in page.rows)
    return list(page.rows)


def export(console: Console, dsl: UserSession, ids: list[int], out: Path,
           template: str = "police") -> Export:
    case_id = cases.open_case(console, dsl, ids, "Concerns seen over several weeks.").summary.id
    result = case_export.export_case(console, dsl, case_id, out, "Referral to the police "
                                     "about the pupil's safety", template)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    order = list(dict.fromkeys(e["incident"] for e in manifest["evidence"]))
    details = {i: incident_view.view_incident(console, dsl, i) for i in order}
    return Export(console, dsl, case_id, result, manifest, order, details,
                  pdftotext_pages(out), PdfReader(out))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("report100")
    # About a sixth of seeded incidents are in restricted categories: 125 leave room for 95 + 5.
    console, dsl = one_pupil_install(root / "school", 125)
    try:
        listed = rows(console, dsl)
        restricted = [r.id for r in listed if r.restricted][:RESTRICTED]
        plain = [r.id for r in listed if not r.restricted][:EMBEDDED]
        assert (len(restricted), len(plain)) == (RESTRICTED, EMBEDDED)
        yield export(console, dsl, restricted + plain, root / "referral.pdf")
    finally:
        console.close()


def pdftotext_pages(path: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True)
    pages = done.stdout.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def flat(text: str) -> str:
    return " ".join(text.split())


def printed_time(moment: datetime) -> str:
    """How a person reads the device time in the PDF: UK wall-clock time, zone named."""
    t = moment.astimezone(UK)
    return f"{t:%a} {t.day} {t:%b %Y}, {t:%H:%M:%S} {t.tzname()}"


def images(page: Any) -> dict[int, Any]:
    """The page's image XObjects by object number (an image drawn twice is one object)."""
    xobjects: Any = (page.get("/Resources") or {}).get("/XObject") or {}
    found = {}
    for name in xobjects:
        ref = xobjects.raw_get(name)
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            found[getattr(ref, "idnum", id(obj))] = obj
    return found


def pages_showing(pages: list[str], sha256: str) -> list[int]:
    return [i for i, p in enumerate(pages) if sha256 in re.sub(r"\s", "", p)]


def test_every_incident_is_printed_with_its_device_time_and_matched_phrases(big: Export) -> None:
    assert len(big.order) == 100
    text = flat("\n".join(big.pages))
    for number, incident_id in enumerate(big.order, start=1):
        d = big.details[incident_id]
        page = flat(" ".join(big.pages[i] for i in incident_pages(big.pages, number, 100)))
        assert d.uuid in page, f"incident {number} is not on its own pages"
        assert printed_time(d.captured_at) in page, f"incident {number}: device time"
        assert d.matches, f"incident {number} has no match"
        for m in d.matches:
            assert f"“{m.text}”" in page, f"incident {number}: phrase {m.text!r}"
    assert "100 incidents, 100 screenshots (5 withheld)" in text


def test_every_page_footer_counts_the_true_total(big: Export) -> None:
    total = len(big.reader.pages)
    assert total == len(big.pages) == big.result.pages
    for n, page in enumerate(big.pages, start=1):
        footer = re.findall(r"Page (\d+) of (\d+)", page)
        assert footer == [(str(n), str(total))], f"page {n}: {footer}"


def test_restricted_screenshots_show_their_hashes_and_are_never_images(big: Export) -> None:
    reader, pages = big.reader, big.pages
    withheld = [e for e in big.manifest["evidence"] if e["restricted"]]
    assert len(withheld) == RESTRICTED
    for item in withheld:
        number = big.order.index(item["incident"]) + 1
        own = incident_pages(pages, number, 100)
        showing = pages_showing(pages, item["plaintext_sha256"])
        assert set(own) & set(showing), f"incident {number}: its hash is not on its pages"
        assert len(showing) >= 2  # its evidence page and the verification section
        assert set(pages_showing(pages, item["sealed_sha256"])) == set(showing)
        for i in {*own, *showing}:
            assert images(reader.pages[i]) == {}, f"page {i + 1} carries an image"
        assert "withheld" in flat(" ".join(pages[i] for i in own))
    every: dict[int, Any] = {}
    for number, incident_id in enumerate(big.order, start=1):
        found = {k: v for i in incident_pages(pages, number, 100)
                 for k, v in images(reader.pages[i]).items()}
        restricted = big.details[incident_id].evidence[0].restricted
        assert bool(found) is not restricted, f"incident {number}"
        every.update(found)
    assert len(every) == EMBEDDED
    assert len({k for p in reader.pages for k in images(p)}) == EMBEDDED


def test_an_embedded_screenshot_is_pixel_for_pixel_the_sealed_original(big: Export) -> None:
    number = next(n for n, i in enumerate(big.order, start=1)
                  if not big.details[i].evidence[0].restricted)
    detail = big.details[big.order[number - 1]]
    page = big.reader.pages[incident_pages(big.pages, number, 100)[0]]
    embedded = next(iter(images(page).values()))
    drawn = page.images[0].image
    assert drawn is not None and (drawn.width, drawn.height) == (
        int(embedded["/Width"]), int(embedded["/Height"]))
    opened = evidence.open_evidence(big.console, big.dsl, detail.evidence[0].id)
    original = Image.open(io.BytesIO(opened.data)).convert("RGB")
    assert drawn.convert("RGB").tobytes() == original.tobytes()


def test_the_manifest_the_sealed_files_the_pdf_and_the_audit_log_agree(big: Export) -> None:
    pdf, manifest = big.result.pdf, big.manifest
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert digest == big.result.pdf_sha256
    assert manifest["pdf"] == {"file": pdf.name, "sha256": digest}
    assert len(manifest["evidence"]) == 100
    for item in manifest["evidence"]:
        sealed = big.console.evidence.path_for(item["sealed_sha256"]).read_bytes()
        assert hashlib.sha256(sealed).hexdigest() == item["sealed_sha256"]
        info = big.details[item["incident"]].evidence[0]
        assert (item["plaintext_sha256"], item["uuid"]) == (
            info.plaintext_sha256, big.details[item["incident"]].uuid)
        assert item["verification"] == "verified"
        assert item["embedded"] is not item["restricted"]
    events = audit_log.recent_events(big.console, big.dsl, 50, target=f"case:{big.case_id}",
                                     action_prefix="case.export")
    assert len(events) == 1
    details = json.loads(events[0].details)
    assert details["pdf_sha256"] == digest and details["pages"] == big.result.pages
    assert details["manifest_sha256"] == hashlib.sha256(
        big.result.manifest.read_bytes()).hexdigest()


def test_the_first_pages_rasterise_to_ink_on_paper(big: Export, tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(big.result.pdf),
                    str(tmp_path / "page")], check=True, capture_output=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 2
    for png in pngs:
        with Image.open(png) as im:
            grey = im.convert("L")
            lo, hi = cast(tuple[int, int], grey.getextrema())
            assert im.size[0] > 400 and lo < 80 and hi > 240  # ink on paper
            assert 150 < ImageStat.Stat(grey).mean[0] < 253  # neither blank nor black


def test_a_missing_or_altered_screenshot_is_reported_failed_and_never_embedded(
        tmp_path: Path) -> None:
    console, dsl = one_pupil_install(tmp_path / "school", 24)
    try:
        listed = rows(console, dsl)
        chosen = [r.id for r in listed if not r.restricted][:3]
        hidden = [r.id for r in listed if r.restricted][:1]
        assert hidden, "the seed gives this pupil restricted imagery too"
        infos = [incident_view.view_incident(console, dsl, i).evidence[0]
                 for i in chosen + hidden]
        missing, altered, altered_hidden = (console.evidence.path_for(e.sealed_sha256)
                                            for e in (infos[0], infos[1], infos[3]))
        missing.unlink()
        for path in (altered, altered_hidden):
            blob = bytearray(path.read_bytes())
            blob[len(blob) // 2] ^= 0xFF
            path.write_bytes(bytes(blob))
        done = export(console, dsl, chosen + hidden, tmp_path / "faults.pdf", template="mash")
        # Restricted imagery is never opened to make a report, but its sealed file is checked:
        assert by_incident_of(done)[hidden[0]]["verification"] == "failed"
        by_incident = {e["incident"]: e for e in done.manifest["evidence"]}
        for incident_id, info, why in ((chosen[0], infos[0], "missing"),
                                       (chosen[1], infos[1], "integrity check")):
            item = by_incident[incident_id]
            assert (item["verification"], item["embedded"]) == ("failed", False)
            number = done.order.index(incident_id) + 1
            own = incident_pages(done.pages, number, len(done.order))
            text = flat(" ".join(done.pages[i] for i in own))
            assert "FAILED" in text and why in text and "not reproduced" in text
            assert info.plaintext_sha256 in re.sub(r"\s", "", text)
            assert all(images(done.reader.pages[i]) == {} for i in own)
        assert by_incident[chosen[2]]["embedded"] is True
        assert len({k for p in done.reader.pages for k in images(p)}) == 1
        failed = audit_log.recent_events(console, dsl, 10, action_prefix="evidence.verify_failed")
        # Every finding is on record, the missing file as much as the altered ones:
        assert sorted(e.target for e in failed) == sorted(f"evidence:{i.id}"
                                                          for i in (infos[0], infos[1], infos[3]))
    finally:
        console.close()
