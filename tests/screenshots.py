"""`make screenshots`: PNGs of the console on a freshly seeded demo school, for the README.

    python -m tests.screenshots [OUT_DIR]      (default: docs/)

Writes screenshot-console.png (the incident list at 8 a.m., with the alert banner),
screenshot-viewer.png (the evidence viewer with a match boxed), screenshot-timeline.png
(a pupil's timeline), trends.png (the headteacher's dashboard for this school year),
screenshot-report.png (an evidence page of a referral PDF) and the first two pages of the
governors' trend report and of the annual review pack (report-*-1.png, -2.png), PDFs rendered
by poppler's pdftoppm. `make screenshots` runs it under Xvfb; anywhere else it uses Qt's
offscreen platform. Only synthetic demo data is ever shown.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _settle(app: object, until: Callable[[], bool], seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while not until() and time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)
    for _ in range(20):  # let paint events run
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def _report_page(console: object, session: object, out: Path) -> None:
    """A referral PDF of a demo case, and its first page with a screenshot as a PNG."""
    import shutil
    import subprocess

    from app.services import case_export, cases

    if shutil.which("pdftoppm") is None or shutil.which("pdfimages") is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases.list_cases(console, session):  # type: ignore[arg-type]
            pdf = Path(tmp) / f"{case.reference}.pdf"
            case_export.export_case(console, session, case.id, pdf,  # type: ignore[arg-type]
                                    "Screenshot for the README", "mash")
            listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True,
                                     text=True, check=True).stdout.splitlines()[2:]
            if listing:
                page = listing[0].split()[0]
                subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", page, "-l", page,
                                "-singlefile", str(pdf), str(out / "screenshot-report")],
                               check=True)
                return


def _trend_reports(console: object, session: object, out: Path) -> None:
    """The first page of the governors' trend report and of the annual review pack."""
    import shutil
    import subprocess

    from app.domain.school_time import school_year_of, today
    from app.services import trend_reports

    if shutil.which("pdftoppm") is None:
        return
    start, end = school_year_of(today(console.clock()))  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        made = {
            "report-governors": trend_reports.governors_report(
                console, session, start, end, Path(tmp) / "g.pdf",  # type: ignore[arg-type]
                "Reports of bullying rose after half term, mostly in Year 9 and at lunchtime. "
                "We have added supervised lunchtime clubs and a Year 9 assembly.\n\n"
                "False positives stay near a third: the DSL is reviewing the library with IT."),
            "report-review": trend_reports.review_pack(
                console, session, None, Path(tmp) / "r.pdf")}  # type: ignore[arg-type]
        for name, result in made.items():
            for page in ("1", "2"):
                subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", page, "-l", page,
                                "-singlefile", str(result.path), str(out / f"{name}-{page}")],
                               check=True)


def _trends(app: object, console: object, bridge: object, out: Path) -> None:
    """The headteacher's dashboard for this school year: small numbers show as "<5"."""
    from app.services import users
    from app.services.demo_school import DEMO_PASSWORD
    from app.ui.main_window import MainWindow

    head = users.login(console, "head", DEMO_PASSWORD)  # type: ignore[arg-type]
    window = MainWindow(console, head, bridge)  # type: ignore[arg-type]
    window.resize(1440, 900)
    window.show()
    view = window.views["trends"]
    _settle(app, lambda: view.dashboard is not None)  # type: ignore[attr-defined]
    window.grab().save(str(out / "trends.png"))
    window.close()


def main(out: Path) -> None:
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from app.services import users
    from app.services.demo_school import DEMO_PASSWORD, create_demo_school
    from app.services.executor import DbExecutor
    from app.ui.bridge import ServiceBridge
    from app.ui.look import apply_look
    from app.ui.main_window import MainWindow
    from db.models import Evidence, Match

    app = QApplication(sys.argv[:1])
    apply_look(app)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kestrel-shots-") as tmp:
        console = create_demo_school(Path(tmp) / "demo", incidents=400, screenshots=30,
                                     key_mode="passphrase", passphrase="screenshots only",
                                     workers=1)
        executor = DbExecutor()
        bridge = ServiceBridge(executor)
        try:
            session = users.login(console, "dsl", DEMO_PASSWORD)
            window = MainWindow(console, session, bridge)
            window.resize(1440, 900)
            window.show()
            view = window.incidents_view
            assert view is not None
            _settle(app, lambda: view.model.rowCount() > 0 and window.alert_banner.isVisible())
            view.table.selectRow(2)
            _settle(app, lambda: True, 0)
            window.grab().save(str(out / "screenshot-console.png"))

            with console.reading() as db:
                incident_id = db.execute(
                    select(Evidence.incident_id).where(
                        Evidence.restricted.is_(False),
                        Evidence.incident_id.in_(select(Match.incident_id)
                                                 .where(Match.boxes != "[]")))
                    .order_by(Evidence.id.desc())).scalars().first()
            view.open_current()
            incident = view.window
            assert incident is not None and incident_id is not None
            incident.resize(1400, 860)
            incident.show_incident(incident_id)
            _settle(app, lambda: incident.viewer.loaded is not None)
            incident.viewer.facts.matches.setCurrentRow(0)
            _settle(app, lambda: True, 0)
            incident.viewer.canvas._stop_flash()
            _settle(app, lambda: True, 0)
            incident.grab().save(str(out / "screenshot-viewer.png"))

            incident.open_timeline()
            timeline = incident.timeline
            assert timeline is not None
            _settle(app, lambda: timeline.data is not None)
            with console.reading() as db:  # the pupil with the longest history shows best
                (busiest,) = db.connection().exec_driver_sql(
                    "SELECT subject_id FROM incidents WHERE subject_id IS NOT NULL "
                    "GROUP BY subject_id ORDER BY COUNT(*) DESC LIMIT 1").one()
            timeline.data = None
            timeline.load(int(busiest))
            _settle(app, lambda: timeline.data is not None)
            timeline.grab().save(str(out / "screenshot-timeline.png"))
            window.close()
            _trends(app, console, bridge, out)
            _report_page(console, session, out)
            _trend_reports(console, users.login(console, "head", DEMO_PASSWORD), out)
        finally:
            bridge.close()
            executor.shutdown(wait=True)
            console.close()
    print(f"wrote screenshot-console.png, screenshot-viewer.png, screenshot-timeline.png, "
          f"trends.png and the report pictures to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
