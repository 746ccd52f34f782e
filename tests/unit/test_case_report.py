"""The referral PDF, from a synthetic CaseSnapshot (no database), read back with two independent
readers: pypdf (structure: pages, images, encryption) and poppler's `pdftotext` (what a person
sees). Restricted imagery must never become an image in the file; a cancel or a refusal must
leave no file behind."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageStat
from pypdf import PdfReader

from app.domain.case_snapshot import (
    CaseSnapshot,
    CustodyRecord,
    SnapshotEntry,
    SnapshotEvidence,
    SnapshotIncident,
    SnapshotMatch,
)
from app.errors import KestrelError, ValidationError
from app.paths import RESOURCES
from app.reports.case_report import RenderedReport, ReportCancelled, render_case_report
from app.reports.evidence_flowable import close_up_regions, load_image
from app.reports.evidence_section import highlighted
from app.reports.pdf_base import when
from tests.pdf_pages import incident_pages

HOSTILE = "<b>&</script>"
T0 = datetime(2026, 11, 2, 9, 41, 12, tzinfo=UTC)
RESTRICTED_PLAIN = "a1" * 32
RESTRICTED_SEALED = "b2" * 32
FAILED_PLAIN = "c3" * 32


def screenshot(lines: list[str], phrase: str, size: tuple[int, int] = (1280, 720),
               fmt: str = "PNG") -> tuple[bytes, tuple[int, int, int, int]]:
    """A plausible chat window drawn with PIL; the box of `phrase` in its pixels."""
    im = Image.new("RGB", size, (244, 245, 247))
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(str(RESOURCES / "fonts" / "DejaVuSans.ttf"), 20)
    draw.rectangle((0, 0, size[0], 44), fill=(36, 41, 47))
    draw.text((16, 10), "Messages — Chrome", fill=(235, 235, 235), font=font)
    box = (0, 0, 0, 0)
    y = 80
    for line in [*lines, phrase]:
        draw.rounded_rectangle((40, y - 8, 40 + 16 + int(draw.textlength(line, font=font)),
                                y + 32), 10, fill=(255, 255, 255))
        draw.text((48, y), line, fill=(20, 20, 20), font=font)
        if line == phrase:
            left, top, right, bottom = draw.textbbox((48, y), line, font=font)
            box = (left, top, right - left, bottom - top)
        y += 56
    out = io.BytesIO()
    im.save(out, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return out.getvalue(), box


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _match(text: str, phrase: str, category: str, colour: str,
           boxes: tuple[tuple[int, int, int, int], ...] = ()) -> SnapshotMatch:
    start = text.index(phrase)
    return SnapshotMatch(phrase, start, start + len(phrase), category, colour, boxes)


def _incident(n: int, category: str, colour: str, text: str | None, phrase: str,
              source: str = "screen", evidence: tuple[SnapshotEvidence, ...] = (),
              boxes: tuple[tuple[int, int, int, int], ...] = (), **kw: Any) -> SnapshotIncident:
    captured = T0 + timedelta(days=n, minutes=7 * n)
    fields: dict[str, Any] = dict(
        id=100 + n, uuid=f"00000000-0000-4000-8000-{n:012d}", captured_at=captured,
        received_at=captured + timedelta(seconds=40), device=f"KS3-LAPTOP-{n:02d}",
        app="Google Chrome", window_title="Messages", url=None, category_name=category,
        severity=3 + n % 3, status="Reviewing", source=source, text=text,
        matches=(_match(text, phrase, category, colour, boxes),) if text else (),
        signature_status="valid", library_version="2026.10.3", evidence=evidence)
    fields.update(kw)
    return SnapshotIncident(**fields)


def _shot_evidence(png: bytes, size: tuple[int, int]) -> SnapshotEvidence:
    return SnapshotEvidence("screenshot", _sha(b"sealed" + png), _sha(png), "verified", False,
                            png, size[0], size[1], None)


def make_snapshot(template: str = "police") -> CaseSnapshot:
    png1, box1 = screenshot(["are you ok?", "not really", "what happened"],
                            "I want to hurt myself tonight")
    png4, box4 = screenshot(["did you see the video", "yeah"], "join the fight brother",
                            size=(1920, 1080))
    text1 = "not really\nI want to hurt myself tonight"
    text2 = f"everyone says nobody likes you {HOSTILE} lol"
    incidents = (
        _incident(1, "Self-harm", "#7c3aed", text1, "hurt myself",
                  evidence=(_shot_evidence(png1, (1280, 720)),), boxes=(box1,),
                  url="https://chat.example.com/c/123?q=<script>&x=1"),
        _incident(2, "Bullying", "#0369a1", text2, "nobody likes you", source="typed",
                  app="Microsoft Word", window_title=f"Essay {HOSTILE}"),
        _incident(3, "Sextortion", "#b91c1c", "send me a pic or else", "send me a pic",
                  evidence=(SnapshotEvidence(
                      "screenshot", RESTRICTED_SEALED, RESTRICTED_PLAIN, "verified", True,
                      None, 1920, 1080, "Possible indecent imagery: withheld from every "
                      "export (UKCIS guidance)."),)),
        _incident(4, "Extremism", "#854d0e", "did you see the video\njoin the fight brother",
                  "join the fight", evidence=(_shot_evidence(png4, (1920, 1080)),),
                  boxes=(box4,), received_at=T0 + timedelta(days=4, hours=3)),
        _incident(5, "Drugs / substance abuse", "#15803d", "who has the weed", "weed",
                  evidence=(SnapshotEvidence(
                      "screenshot", "d4" * 32, FAILED_PLAIN, "failed", False, None, 1920,
                      1080, "This screenshot failed its integrity check and is not "
                      "reproduced."),)),
        _incident(6, "Suicide", "#4c1d95", "how many pills is too many", "how many pills",
                  source="typed", app="Edge",
                  captured_at=datetime(2026, 7, 1, 13, 5, 9, tzinfo=UTC),
                  received_at=datetime(2026, 7, 1, 13, 5, 30, tzinfo=UTC)),
    )
    day = T0 + timedelta(days=1)
    entries = (
        SnapshotEntry(11, "Incidents linked", day, day, "Dana Lead", "Incidents 101–106.",
                      None, None, None, None, None, ()),
        SnapshotEntry(12, "Note", day + timedelta(hours=1), day + timedelta(hours=1),
                      "Dana Lead", "Spoke to Zofia at break; she said it was a joke.", None,
                      None, "pupil", None, None, (15,)),
        SnapshotEntry(13, "Contact", day - timedelta(days=2),
                      day + timedelta(hours=2), "Sam Deputy",
                      "Phoned mum (back-dated: the call was on Saturday). " * 3, None, None,
                      "parent/carer", None, None, ()),
        SnapshotEntry(14, "Referral", day + timedelta(hours=3), day + timedelta(hours=3),
                      "Dana Lead", "Referred to the police safeguarding hub.", "Police",
                      "CAD 4471/26", None, "Strategy meeting arranged.", None, ()),
        SnapshotEntry(15, "Note", day + timedelta(hours=4), day + timedelta(hours=4),
                      "Dana Lead", "Correction: Zofia said it was NOT a joke.", None, None,
                      "pupil", None, 12, ()),
    )
    custody = tuple(CustodyRecord(T0 + timedelta(days=1, minutes=m), who, what, detail)
                    for m, who, what, detail in (
                        (5, "Dana Lead", "opened the case (case 7)", None),
                        (9, "Dana Lead", "opened a screenshot (evidence 31)",
                         "checking the context"),
                        (12, "Sam Deputy", "viewed incident (incident 103)", None),
                        (30, "Dana Lead", "exported the case (case 7)", "police referral")))
    return CaseSnapshot(
        school="St Aidan's Academy", reference="KES-2026-0007", pupil="Zofia Woźniak",
        year_group=9, date_of_birth="14 March 2012", dsl="Dana Lead",
        generated_at=T0 + timedelta(days=8), purpose="Referral to the police about "
        "sextortion and threats of self-harm.", agency_template=template, status="Referred",
        legal_hold=True, summary="Zofia (Y9) has searched for self-harm methods.\n\n"
        f"Pupils' messages include {HOSTILE}; see the chronology.",
        chronology=entries, incidents=incidents, custody=custody, software_version="0.1.0",
        audit_checkpoint="audit event 1234, chain hash 9f86d081884c7d65; last signed "
        "checkpoint at event 1200")


def pdftotext_pages(path: Path, password: str | None = None) -> list[str]:
    args = ["pdftotext", "-layout", *(["-upw", password] if password else []), str(path), "-"]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    pages = done.stdout.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _flat(text: str) -> str:
    return " ".join(text.split())


def _image_xobjects(page: Any) -> list[Any]:
    resources = page.get("/Resources") or {}
    xobjects = resources.get("/XObject") or {}
    return [x for x in (xobjects[k].get_object() for k in xobjects)
            if x.get("/Subtype") == "/Image"]


@pytest.fixture(scope="module")
def police(tmp_path_factory: pytest.TempPathFactory) -> tuple[CaseSnapshot, RenderedReport]:
    snap = make_snapshot("police")
    out = tmp_path_factory.mktemp("report") / "KES-2026-0007.pdf"
    return snap, render_case_report(snap, out)


def test_the_report_reads_back_with_both_readers(police) -> None:  # type: ignore[no-untyped-def]
    snap, rendered = police
    reader = PdfReader(rendered.path)
    pages = pdftotext_pages(rendered.path)
    assert rendered.pages == len(reader.pages) == len(pages)
    assert rendered.sha256 == _sha(rendered.path.read_bytes())
    text = _flat("\n".join(pages))
    pypdf_text = _flat("\n".join(p.extract_text() for p in reader.pages))
    for incident in snap.incidents:
        assert when(incident.captured_at, seconds=True) in text
        assert when(incident.received_at, seconds=True) in text
        for m in incident.matches:
            assert f"“{m.text}”" in text and m.text in pypdf_text
    assert "Zofia Woźniak" in text and "Zofia Woźniak" in pypdf_text
    assert HOSTILE in text and HOSTILE in pypdf_text  # escaped, printed as typed
    assert "https://chat.example.com/c/123?q=<script>&x=1" in text
    assert "Corrects entry 12" in text and "Corrected by entry 15" in text
    assert "back-dated" in text
    assert RESTRICTED_PLAIN in text and RESTRICTED_SEALED in text and FAILED_PLAIN in text
    assert "audit event 1234, chain hash 9f86d081884c7d65" in text
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "KES-2026-0007 — safeguarding referral"
    assert meta.author == "Dana Lead" and meta.creator == "Kestrel"


def test_every_page_is_marked_and_numbered_of_the_true_total(police) -> None:  # type: ignore[no-untyped-def]
    _, rendered = police
    reader = PdfReader(rendered.path)
    total = len(reader.pages)
    for n, (seen, structural) in enumerate(zip(pdftotext_pages(rendered.path),
                                                (p.extract_text() for p in reader.pages),
                                                strict=True), start=1):
        for page_text in (seen, structural):
            assert "OFFICIAL-SENSITIVE" in page_text
            assert f"KES-2026-0007 · OFFICIAL-SENSITIVE · Page {n} of {total}" in \
                _flat(page_text)


def test_restricted_and_failed_screenshots_never_become_images(police) -> None:  # type: ignore[no-untyped-def]
    _, rendered = police
    reader = PdfReader(rendered.path)
    pages = pdftotext_pages(rendered.path)
    restricted = incident_pages(pages, 3, 6)
    failed = incident_pages(pages, 5, 6)
    for i in restricted + failed:
        assert _image_xobjects(reader.pages[i]) == []
    assert "withheld" in _flat(" ".join(pages[i] for i in restricted))
    assert RESTRICTED_PLAIN in _flat(" ".join(pages[i] for i in restricted))
    failed_text = _flat(" ".join(pages[i] for i in failed))
    assert "FAILED" in failed_text and "integrity check" in failed_text
    for shown in (1, 4):
        images = [x for i in incident_pages(pages, shown, 6)
                  for x in _image_xobjects(reader.pages[i])]
        assert images, f"incident {shown} should show its screenshot"
    # only the two reproducible screenshots exist as images anywhere in the file
    every = {(int(x["/Width"]), int(x["/Height"]))
             for p in reader.pages for x in _image_xobjects(p)}
    assert every == {(1280, 720), (1920, 1080)}


def test_screenshots_are_embedded_losslessly(police) -> None:  # type: ignore[no-untyped-def]
    snap, rendered = police
    reader = PdfReader(rendered.path)
    pages = pdftotext_pages(rendered.path)
    page = reader.pages[incident_pages(pages, 1, 6)[0]]
    embedded = page.images[0].image
    assert embedded is not None
    original_bytes = snap.incidents[0].evidence[0].image
    assert original_bytes is not None
    original = Image.open(io.BytesIO(original_bytes)).convert("RGB")
    assert embedded.convert("RGB").tobytes() == original.tobytes()


def test_the_template_decides_what_follows_the_cover(tmp_path: Path) -> None:
    police_text = _flat(" ".join(pdftotext_pages(
        render_case_report(make_snapshot("police"), tmp_path / "p.pdf").path)))
    mash_text = _flat(" ".join(pdftotext_pages(
        render_case_report(make_snapshot("mash"), tmp_path / "m.pdf").path)))
    assert "Referral to the police" in police_text
    assert police_text.index("1. Evidence") < police_text.index("2. Chronology") < \
        police_text.index("3. Summary by the Designated Safeguarding Lead")
    assert "Referral to children's social care (MASH)" in mash_text
    assert mash_text.index("1. Summary by the Designated Safeguarding Lead") < \
        mash_text.index("2. Chronology") < mash_text.index("3. Evidence")
    for text in (police_text, mash_text):
        assert text.index("4. Chain of custody") < text.index("5. Verification") < \
            text.index("6. Sign-off")
    with pytest.raises(ValidationError, match="police"):
        render_case_report(make_snapshot("courts"), tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()


def test_a_password_protected_report_opens_only_with_its_password(tmp_path: Path) -> None:
    rendered = render_case_report(make_snapshot(), tmp_path / "locked.pdf",
                                  password="Kestrel ünïcode 2026")
    raw = rendered.path.read_bytes()
    assert b"Zofia" not in raw and b"OFFICIAL-SENSITIVE" not in raw
    reader = PdfReader(rendered.path)
    assert reader.is_encrypted
    assert reader.decrypt("wrong password") == 0
    with pytest.raises(Exception):  # noqa: B017 - pypdf's error type varies by version
        PdfReader(rendered.path).pages[0].extract_text()
    assert subprocess.run(["pdftotext", str(rendered.path), "-"],
                          capture_output=True).returncode != 0
    reader = PdfReader(rendered.path)
    assert reader.decrypt("Kestrel ünïcode 2026") != 0
    assert "OFFICIAL-SENSITIVE" in reader.pages[0].extract_text()
    assert reader.metadata is not None and reader.metadata.title.startswith("KES-2026-0007")
    seen = pdftotext_pages(rendered.path, password="Kestrel ünïcode 2026")
    assert len(seen) == len(reader.pages) == rendered.pages
    assert "Zofia Woźniak" in seen[0]
    assert any(_image_xobjects(p) for p in reader.pages)  # screenshots decrypt too
    with pytest.raises(ValidationError, match="empty"):
        render_case_report(make_snapshot(), tmp_path / "blank.pdf", password="  ")
    assert sorted(os.listdir(tmp_path)) == ["locked.pdf"]


def test_progress_is_reported_as_incidents_are_laid_out(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    render_case_report(make_snapshot(), tmp_path / "r.pdf",
                       progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 6) for n in range(7)]


def test_a_cancel_half_way_leaves_no_file(tmp_path: Path) -> None:
    polls = 0
    seen: list[tuple[int, int]] = []

    def cancelled() -> bool:
        nonlocal polls
        polls += 1
        return polls > 3

    with pytest.raises(ReportCancelled) as caught:
        render_case_report(make_snapshot(), tmp_path / "r.pdf", cancelled=cancelled,
                           progress=lambda d, t: seen.append((d, t)))
    assert isinstance(caught.value, KestrelError)
    assert str(caught.value) == "The report was cancelled; no file was written."
    assert polls == 4 and seen[-1] == (3, 6)
    assert os.listdir(tmp_path) == []


def test_an_unwritable_place_gives_a_clear_error_and_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        render_case_report(make_snapshot(), tmp_path / "missing" / "r.pdf")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ValidationError, match="Cannot write the report"):
        render_case_report(make_snapshot(), blocker / "r.pdf")
    taken = tmp_path / "taken.pdf"
    taken.mkdir()  # a folder where the file should go: the rename fails at the very end
    with pytest.raises(ValidationError, match=r"Cannot write taken\.pdf"):
        render_case_report(make_snapshot(), taken)
    assert sorted(os.listdir(tmp_path)) == ["a-file", "taken.pdf"]
    assert os.listdir(taken) == []


def test_a_refused_folder_or_a_full_disk_leaves_nothing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """What a read-only folder (as seen by a non-root user) and a full disk look like."""
    import app.reports.pdf_file as module  # where every report is written

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(module.tempfile, "mkstemp", refuse)
        with pytest.raises(ValidationError,
                           match=r"Cannot write the report to .*: Permission denied\."):
            render_case_report(make_snapshot(), tmp_path / "r.pdf")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(module.os, "fsync", full)
        with pytest.raises(ValidationError, match=r"Cannot write r\.pdf: No space left"):
            render_case_report(make_snapshot(), tmp_path / "r.pdf")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_folder_gives_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ValidationError, match="Cannot write the report to"):
            render_case_report(make_snapshot(), folder / "r.pdf")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def test_the_first_pages_rasterise(police, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, rendered = police
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(rendered.path),
                    str(tmp_path / "page")], check=True, capture_output=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 2
    for png in pngs:
        with Image.open(png) as im:
            assert im.size[0] > 400
            grey = im.convert("L")
            lo, hi = grey.getextrema()
            assert lo < 80 and hi > 240  # ink on paper, not a blank page
            # page 2 is the first screenshot (police: evidence first); a reader that failed
            # to undo the PNG predictor would paint it near-black
            assert ImageStat.Stat(grey).mean[0] > 225


def test_highlighting_escapes_and_survives_bad_offsets() -> None:
    text = "a <b> & nobody likes you"
    start = text.index("nobody")
    good = SnapshotMatch("nobody", start, start + 6, "Bullying", "#0369a1", ())
    shifted = SnapshotMatch("likes", 500, 505, "Bullying", "#0369a1", ())  # stale offsets
    markup = highlighted(text, (good, shifted))
    assert "&lt;b&gt; &amp; " in markup and "<b>nobody</b>" in markup
    assert "<b>likes</b>" in markup


def test_other_image_formats_are_reencoded_losslessly() -> None:
    webp, _ = screenshot(["hi"], "there", size=(320, 200), fmt="WEBP")
    image = load_image(webp)
    assert (image.width, image.height, image.colours) == (320, 200, 3)
    png, _ = screenshot(["hi"], "there", size=(320, 200))
    assert load_image(png).idat  # a plain PNG passes straight through
    with pytest.raises(ValueError):
        load_image(b"not an image")


def test_close_ups_cover_each_cluster_of_boxes() -> None:
    regions = close_up_regions([(100, 100, 80, 20), (200, 104, 60, 20), (100, 900, 50, 20)],
                               (1920, 1080), 480)
    assert len(regions) == 2
    for (x, y, w, h), box in zip(regions, [(100, 100, 80, 20), (100, 900, 50, 20)],
                                 strict=True):
        assert x <= box[0] and box[0] + box[2] <= x + w
        assert y <= box[1] and box[1] + box[3] <= y + h


@pytest.fixture(autouse=True, scope="module")
def _poppler() -> None:
    assert shutil.which("pdftotext") and shutil.which("pdftoppm"), "poppler-utils is needed"
