"""report: the referral PDF of a 100-incident case with screenshots (5 restricted) — time, peak
RSS and file size of `render_case_report`, against bare reportlab drawing the same images.

The case snapshot is built as `case_export.snapshot_case` would leave it, from the demo's own
generator: 100 texts the shipped matcher flags (95 in ordinary categories, 5 in restricted
ones), each with a 1920×1080 lossless-WebP screenshot (an office PC's screen) drawn by the demo
renderer with the matched words boxed, a chronology and a custody trail. The restricted five
carry hashes only, as the real snapshot does. It is pickled once; then each render runs in a
fresh child process (`python -m tests.perf.bench_report render|bare SNAPSHOT OUT`) so its peak
RSS (`ru_maxrss` of the child, read at its end) is its own and nothing is warm:

- render: `render_case_report(snapshot, out)`, the police template, timed around that call.
- bare: reportlab's own `Canvas.drawImage` of the same 95 screenshots, one per A4 page scaled
  to the frame, plus a line of text naming the incident; binary streams (no ASCII85), as the
  report writes them. It does no layout, highlighting, close-ups or tables: the report's
  extra work is the ratio.

`--scale small` renders each once; `full` three times each (median time, largest RSS).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.perf.common import Figure

REPO = Path(__file__).resolve().parents[2]
INCIDENTS, RESTRICTED_AT = 100, (7, 29, 48, 66, 91)  # incident numbers in restricted categories
SHOT = (1920, 1080)
RUNS = {"small": 1, "full": 3}
T0 = datetime(2026, 9, 7, 8, 30, tzinfo=UTC)
BARE = "bare reportlab drawImage, one per page"


def run(scale: str) -> list[Figure]:
    """PDF case report of 100 incidents with screenshots: time, peak RSS, size vs bare reportlab."""
    with tempfile.TemporaryDirectory(prefix="kestrel-report-bench-") as tmp:
        folder = Path(tmp)
        snapshot = folder / "snapshot.pickle"
        snapshot.write_bytes(pickle.dumps(build_snapshot(), pickle.HIGHEST_PROTOCOL))
        report, bare = [], []
        for n in range(RUNS[scale]):
            report.append(_child("render", snapshot, folder / f"report-{n}.pdf"))
            bare.append(_child("bare", snapshot, folder / f"bare-{n}.pdf"))

    def pick(runs: list[dict[str, float]], key: str) -> float:
        values = [r[key] for r in runs]
        return max(values) if key == "peak_rss_mb" else statistics.median(values)

    return [
        Figure("report_render_100_incidents", pick(report, "seconds"), "s",
               "≤ 10 s and ≤ 1.3× bare", BARE, pick(bare, "seconds")),
        Figure("report_render_cpu", pick(report, "cpu_seconds"), "s", "none set (CPU time: "
               "steadier than wall time on a busy box)", BARE, pick(bare, "cpu_seconds")),
        Figure("report_peak_rss", pick(report, "peak_rss_mb"), "MB", "≤ 300 MB", BARE,
               pick(bare, "peak_rss_mb")),
        Figure("report_pdf_size", pick(report, "mb"), "MB", "≤ 25 MB", BARE, pick(bare, "mb")),
        Figure("report_pages", pick(report, "pages"), "pages", "none set", BARE,
               pick(bare, "pages")),
    ]


def _child(kind: str, snapshot: Path, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "tests.perf.bench_report", kind,
                           str(snapshot), str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} child failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


# -- the snapshot ------------------------------------------------------------------------------

def build_snapshot() -> Any:
    """A CaseSnapshot of INCIDENTS incidents, deterministic (seeded generators)."""
    import random

    from app.domain.case_snapshot import CaseSnapshot, CustodyRecord, SnapshotEntry
    from app.domain.categories import CATEGORY_BY_KEY
    from app.services.demo.mix import CATEGORY_WEIGHTS
    from app.services.demo.palette import shipped_palette

    palette = shipped_palette()
    restricted = sorted(k for k in CATEGORY_WEIGHTS if CATEGORY_BY_KEY[k].restricted_imagery)
    ordinary = sorted(k for k in CATEGORY_WEIGHTS if not CATEGORY_BY_KEY[k].restricted_imagery)
    incidents = []
    for n in range(1, INCIDENTS + 1):
        rng = random.Random(2026 * 1000 + n)
        if n in RESTRICTED_AT:
            category = restricted[RESTRICTED_AT.index(n) % len(restricted)]
        else:
            category = rng.choices(ordinary, [CATEGORY_WEIGHTS[k] for k in ordinary])[0]
        incidents.append(_incident(n, category, n in RESTRICTED_AT, rng, palette))
    day = T0 + timedelta(days=40)
    chronology = tuple(
        SnapshotEntry(n, ("Note", "Contact", "Action")[n % 3], day + timedelta(hours=n),
                      day + timedelta(hours=n), "Dana Lead", f"Entry {n}: spoke with the pupil "
                      "and their form tutor about the messages; agreed next steps. " * 2,
                      None, None, "pupil" if n % 3 == 1 else None, None, None, ())
        for n in range(1, 13))
    custody = tuple(CustodyRecord(day + timedelta(minutes=n), "Dana Lead",
                                  f"opened a screenshot (evidence {n})", None)
                    for n in range(1, 201))
    return CaseSnapshot(
        school="Northgate Academy", reference="KES-2026-0042", pupil="Isla Byrne",
        year_group=9, date_of_birth=None, dsl="Dana Lead", generated_at=day + timedelta(days=1),
        purpose="Referral to the police: a pattern of concerns over a term",
        agency_template="police", status="Referred", legal_hold=True,
        summary="A pattern of concerning activity across a term; see the chronology.",
        chronology=chronology, incidents=tuple(incidents), custody=custody,
        software_version="bench", audit_checkpoint="audit event 1, chain hash 00")


def _incident(n: int, category: str, restricted: bool, rng: Any, palette: Any) -> Any:
    from app.domain.case_snapshot import SnapshotEvidence, SnapshotIncident, SnapshotMatch
    from app.domain.categories import CATEGORY_BY_KEY
    from app.services.demo.detected import draw_detected_text
    from app.services.demo.screens import pick_template, render_screenshot

    detected = draw_detected_text(rng, category, palette)
    text = detected.text
    shot = render_screenshot(text, pick_template(text, rng), rng, *SHOT)
    boxes = tuple((b.x, b.y, b.w, b.h) for b in shot.boxes)
    matches = tuple(SnapshotMatch(m.text, m.start, m.end, CATEGORY_BY_KEY[m.category].name,
                                  CATEGORY_BY_KEY[m.category].colour, boxes if i == 0 else ())
                    for i, m in enumerate(detected.matches))
    plain = hashlib.sha256(shot.webp).hexdigest()
    sealed = hashlib.sha256(b"sealed" + shot.webp).hexdigest()
    evidence = SnapshotEvidence(
        "screenshot", sealed, plain, "verified", restricted, None if restricted else shot.webp,
        shot.width, shot.height, "Possible indecent imagery: withheld from every export."
        if restricted else None)
    captured = T0 + timedelta(hours=9 * n, minutes=n)
    primary = detected.primary
    return SnapshotIncident(
        n, f"0190c0de-0000-7000-8000-{n:012d}", captured, captured + timedelta(seconds=30),
        f"IT1-LAPTOP-{n % 7:03d}", text.app, text.window_title, text.url,
        CATEGORY_BY_KEY[primary.category].name, primary.severity, "Actioned", "screen",
        text.context, matches, "valid", "2026.09.1", (evidence,))


# -- the children ------------------------------------------------------------------------------

def _render_child(snapshot: Any, out: Path) -> dict[str, float]:
    from app.reports.case_report import render_case_report

    started = time.perf_counter()
    rendered = render_case_report(snapshot, out)
    return {"seconds": time.perf_counter() - started, "pages": rendered.pages}


def _bare_child(snapshot: Any, out: Path) -> dict[str, float]:
    import io

    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    rl_config.useA85 = 0  # binary streams, as the report writes them
    started = time.perf_counter()
    width, height = A4
    margin = 50.0
    canvas = Canvas(str(out), pagesize=A4)
    pages = 0
    for n, incident in enumerate(snapshot.incidents, start=1):
        canvas.setFont("Helvetica", 11)
        canvas.drawString(margin, height - margin, f"Incident {n} of {len(snapshot.incidents)}"
                                                   f": {incident.category_name}")
        for ev in incident.evidence:
            if ev.image is None:
                continue
            image = ImageReader(io.BytesIO(ev.image))
            w, h = image.getSize()
            scale = (width - 2 * margin) / w
            canvas.drawImage(image, margin, height - 2 * margin - h * scale, w * scale,
                             h * scale)
        canvas.showPage()
        pages += 1
    canvas.save()
    return {"seconds": time.perf_counter() - started, "pages": pages}


def _peak_rss_kb() -> int:
    """This process's peak RSS. Linux keeps `ru_maxrss` across fork and exec, so a child's
    starts at its parent's size (here: the parent that drew 100 screenshots); VmHWM belongs
    to the new process image alone."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line for line in status.splitlines()
                        if line.startswith("VmHWM:")).split()[1])
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes (not macOS)


def _child_main(kind: str, snapshot_path: str, out_path: str) -> None:
    snapshot = pickle.loads(Path(snapshot_path).read_bytes())
    out = Path(out_path)
    cpu = time.process_time()
    result = (_render_child if kind == "render" else _bare_child)(snapshot, out)
    result.update(cpu_seconds=time.process_time() - cpu, peak_rss_mb=_peak_rss_kb() * 1024 / 1e6,
                  mb=out.stat().st_size / 1e6)
    print(json.dumps(result))


if __name__ == "__main__":
    _child_main(*sys.argv[1:4])
