"""console: the review console on the list benchmark's 1,000,000-incident install (small scale:
its 20,000 one), as a DSL uses it, each figure against the bare library doing the same work.

Every console runs in a child process, offscreen (QT_QPA_PLATFORM=offscreen with one 1920×1080
screen; the plugin's default 800×800 screen would give a smaller window than an office PC),
so its start is a real process start and its RSS is its own. Secrets go to the children in
owner-only temporary files, as the CLI reads them. What is timed (medians):

1. start: a new process runs the real `main.py gui --data-dir … --passphrase-file … --user dsl
   --password-file … --no-receiver --exit-when-ready` through `app.cli.main`, with one change
   (`python -m tests.perf.bench_console start …`): the readiness hook
   `app.ui.app._quit_when_ready` is replaced by one that waits until the incident table's
   viewport has painted after the first page arrived (the real hook quits as soon as the page
   is in the model). Timed from just before the parent spawns the process to after that paint;
   the phases (imports, open, sign-in, main window, first page) are printed too. Baseline: a
   bare process that imports PySide6, makes a QApplication, opens the database with its raw
   key and runs the first page's SQL by hand.
2. filter change: in one console process (`… bench_console session`: the real MainWindow,
   1400×850 as asked by `app.ui.app`, on the same install, signed in as its DSL), a filter combo
   is changed; timed to the model's first page of the new query loaded and the table's
   viewport repainted after it. Nine changes cycle through status, category and severity (a
   first round warms up). Baseline: the same page (ids by keyset, one branch per status, then
   the list's joins) as hand-written SQL on a raw sqlcipher connection.
3. search: a word typed into the search box, then Enter (which skips the 300 ms typing
   debounce); timed from Enter to the rows painted. Also without Enter: from the last
   keystroke, so it includes the debounce by design. Baseline: the same page as raw FTS5 SQL,
   the better of two plans (start from the hits; or walk the sort index, probing the hits).
4. "the end" of a lazily paged list of 1,000,000: nobody scrolls through 5,000 pages, so two
   honest meanings are timed on the unfiltered list ("All statuses"): (a) the scroll bar is
   taken to the bottom of what is loaded (`scrollToBottom`), Qt asks the model for more, and
   the next 200 rows arrive and the viewport repaints (this includes the repaint the scroll
   itself causes; the new rows are below the fold until the next scroll); (b) jumping to the
   oldest end with "Oldest first", to its first page painted. Baselines: the raw keyset pages
   after the same cursors; the raw oldest page.
5. opening an incident in the EvidenceViewer: `load(id)` to `sig_loaded` and then the canvas
   viewport's paint. The list installs hold no screenshots (the list benchmark seeds none, and
   demo screenshots are 1280×800), so two incidents with a 1920×1080 lossless-WebP screenshot
   drawn by the demo renderer are sealed and ingested through the real path into a small aside
   install, perf-results/console-screenshots (built once): one plain, one in a
   restricted-imagery category (served blurred). Baseline: read + decrypt + decode (QImage) of
   the same file by hand. The viewer also opens text-only incidents of the big install (to the
   "No screenshot" notice painted), against raw SELECTs of the row, its matches and evidence.
6. memory: VmRSS of the session console after all of the above, its peak (VmHWM), and the
   start process's at its first paint. Baseline: the bare process of (1).
"""

from __future__ import annotations

import json
import operator
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any

from tests.perf.common import Figure

SIZES = {"small": 20_000, "full": 1_000_000}
START_RUNS = 3
PASSWORD = "benchmark password"  # the list installs' DSL (bench_seed.fresh_install)
SHOT_SIZE = (1920, 1080)
SEARCH_WORDS = ("cutting", "bomb", "knife", "vape", "freak")
PAGES_DOWN = {"small": 8, "full": 10}
ROUNDS = {"small": 2, "full": 3}
LOADS = 7
START_TAG, SESSION_TAG, BARE_TAG = "KESTREL-BENCH-START", "KESTREL-BENCH-SESSION", "BARE"
REPO = Path(__file__).resolve().parents[2]

_LIST_COLUMNS = ("i.id, i.uuid, i.captured_at, c.key, c.name, c.restricted_imagery, i.severity, "
                 "i.status, i.source, s.display_name, s.year_group, d.hostname, i.app, "
                 "i.window_title, i.matched_text, i.has_screenshot, u.display_name")
_LIST_JOINS = ("JOIN incidents i ON i.id = p.id JOIN categories c ON c.id = i.category_id "
               "JOIN devices d ON d.id = i.device_id "
               "LEFT JOIN subjects s ON s.id = i.subject_id "
               "LEFT JOIN staff_users u ON u.id = i.assignee_id")


# -- the parent: builds what is missing, runs the children, turns their numbers into figures --
def run(scale: str) -> list[Figure]:
    """Review console at 1,000,000 incidents: start, filter, search, paging, evidence, RSS."""
    from tests.perf.bench_list import _database
    from tests.perf.bench_seed import PASSPHRASE

    count = SIZES[scale]
    console = _database(count)  # also migrates it, so no start below pays for a migration
    try:
        root, key = console.paths.root, console.keys.database_key
        categories = _category_ids(console)
    finally:
        console.close()
    shots = _screenshot_install(PASSPHRASE)
    with tempfile.TemporaryDirectory() as tmp:
        secrets = {"passphrase": Path(tmp) / "pp", "password": Path(tmp) / "pw"}
        for path, value in ((secrets["passphrase"], PASSPHRASE), (secrets["password"], PASSWORD)):
            path.write_text(value, encoding="utf-8")
            path.chmod(0o600)
        env = _child_env(Path(tmp))
        starts, bares = [], []
        for _ in range(START_RUNS):  # interleaved, so both see the same background noise
            starts.append(_start_once(root, secrets, env))
            bares.append(_bare_once(root, key, categories, env))
        session = _session_once(root, shots, secrets, scale, env)
    return _figures(count, starts, bares, session)


def _category_ids(console: Any) -> dict[str, int]:
    from sqlalchemy import text

    with console.engine.connect() as conn:
        return {str(k): int(i) for k, i in conn.execute(text("SELECT key, id FROM categories"))}


_SCREEN = {"screens": [{"name": "bench", "x": 0, "y": 0, "width": 1920, "height": 1080,
                        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}


def _child_env(folder: Path) -> dict[str, str]:
    """Offscreen Qt with one 1920×1080 screen (the plugin's default is 800×800, which would
    give the console a smaller window than an office PC does)."""
    screen = folder / "screen.json"
    screen.write_text(json.dumps(_SCREEN), encoding="utf-8")
    return {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
            "PYTHONPATH": str(REPO)}


def _tagged(out: str, tag: str) -> str:
    for line in out.splitlines():
        if line.startswith(tag + " "):
            return line[len(tag) + 1:]
    raise RuntimeError(f"no {tag} line from the child; its output ended:\n{out[-2000:]}")


def _start_once(root: Path, secrets: dict[str, Path], env: dict[str, str]) -> dict[str, float]:
    args = [sys.executable, "-m", "tests.perf.bench_console", "start", "gui", "--data-dir",
            str(root), "--passphrase-file", str(secrets["passphrase"]), "--user", "dsl",
            "--password-file", str(secrets["password"]), "--no-receiver", "--exit-when-ready"]
    began = time.monotonic()
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the console start failed ({done.returncode}):\n{done.stderr[-3000:]}")
    marks = json.loads(_tagged(done.stdout, START_TAG))
    return {k: v if k.startswith("rss_") else (v - began) * 1000 for k, v in marks.items()}


_BARE = r"""
import json, sys, time
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
import sqlcipher3.dbapi2 as sqlcipher
path, key = sys.stdin.read().split()
sql, params = json.loads(sys.argv[1])
conn = sqlcipher.connect(path)
conn.execute(f"PRAGMA key = \"x'{key}'\"")
rows = conn.execute(sql, params).fetchall()
status = open("/proc/self/status").read()
rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1])
print("BARE", time.monotonic(), len(rows), rss, flush=True)
"""


def _bare_once(root: Path, key: bytes, categories: dict[str, int],
               env: dict[str, str]) -> dict[str, float]:
    from app.domain.enums import IncidentStatus
    from app.paths import DataPaths

    sql, params = raw_page_sql(categories, statuses=(IncidentStatus.NEW.value,
                                                     IncidentStatus.REVIEWING.value))
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _BARE, json.dumps([sql, params])], cwd=REPO,
                          env=env, input=f"{DataPaths(root).database} {key.hex()}",
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the bare start failed:\n{done.stderr[-3000:]}")
    at, rows, rss = _tagged(done.stdout, BARE_TAG).split()
    if int(rows) == 0:
        raise RuntimeError("the bare start's first page is empty")
    return {"ms": (float(at) - began) * 1000, "rss_kb": float(rss)}


def _session_once(root: Path, shots: Path, secrets: dict[str, Path], scale: str,
                  env: dict[str, str]) -> Any:
    args = [sys.executable, "-m", "tests.perf.bench_console", "session", str(root), str(shots),
            str(secrets["passphrase"]), str(secrets["password"]), scale]
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the console session failed:\n{done.stderr[-4000:]}")
    return json.loads(_tagged(done.stdout, SESSION_TAG))


def _med(values: Sequence[float]) -> float:
    return statistics.median(values)


def _figures(count: int, starts: list[dict[str, float]], bares: list[dict[str, float]],
             s: dict[str, Any]) -> list[Figure]:
    at = f"@{count}"
    phases = ("imported", "opened", "signed_in", "window_built", "first_page", "painted")
    steps = " → ".join(f"{p} {_med([r[p] for r in starts]):,.0f}" for p in phases)
    print(f"  start, ms from spawn (medians of {len(starts)}): {steps}", flush=True)
    steps = " → ".join(f"{p} {_med([r['rss_' + p] for r in starts]) / 1024:,.0f}"
                       for p in phases)
    print(f"  start, RSS in MB: {steps}", flush=True)
    filters, words, ev = s["filters"], s["search"], s["evidence"]
    print("  filter changes (ms, console / raw): " + "; ".join(
        f"{f['name']} {f['ms']:.0f}/{f['raw_ms']:.1f}" for f in filters), flush=True)
    print("  search with Enter (ms, console / raw): " + "; ".join(
        f"{w['word']} {w['ms']:.0f}/{w['raw_ms']:.1f}" for w in words), flush=True)
    worst = max(filters, key=lambda f: f["ms"])
    bare = "bare PySide6 process + raw first-page SQL"
    bare_ms = _med([b["ms"] for b in bares])
    bare_mb = _med([b["rss_kb"] for b in bares]) / 1024
    keyset, fts = "raw keyset SQL", "raw FTS5 SQL (same pages, better of 2 plans)"
    fts_ms = _med([w["raw_ms"] for w in words])
    decode = "raw read + decrypt + decode"

    def ms(name: str, value: float, target: str, baseline: str, base: float) -> Figure:
        return Figure(name, value, "ms", target, baseline, base)

    def mb(name: str, kb: float) -> Figure:
        return Figure(name, kb / 1024, "MB", "≤ 300 MB", bare, bare_mb)

    return [
        ms(f"console_start_to_first_page_painted{at}", _med([r["painted"] for r in starts]),
           "≤ 1,000 ms", bare, bare_ms),
        ms(f"console_filter_change_repainted{at}", _med([f["ms"] for f in filters]),
           "≤ 150 ms", keyset + " (same pages)", _med([f["raw_ms"] for f in filters])),
        ms(f"console_filter_change_worst{at}", worst["ms"], "≤ 150 ms",
           f"{keyset} ({worst['name']})", worst["raw_ms"]),
        ms(f"console_search_enter_to_rows{at}", _med([w["ms"] for w in words]), "≤ 150 ms",
           fts, fts_ms),
        ms(f"console_search_typed_to_rows{at}", _med(s["search_typed_ms"]),
           "≤ 150 ms (includes the 300 ms typing debounce)", fts, fts_ms),
        ms(f"console_scroll_bottom_next_page{at}", _med(s["next_page_ms"]), "≤ 100 ms",
           keyset + " (next pages after the same cursors)", _med(s["next_page_raw_ms"])),
        ms(f"console_jump_to_oldest{at}", _med(s["oldest_ms"]), "≤ 100 ms",
           keyset + " (oldest page)", s["oldest_raw_ms"]),
        ms("console_open_screenshot_1920x1080", _med(ev["plain_ms"]), "≤ 50 ms", decode,
           ev["raw_decode_ms"]),
        ms("console_open_restricted_blurred_1920x1080", _med(ev["restricted_ms"]), "≤ 50 ms",
           decode, ev["raw_decode_ms"]),
        ms(f"console_open_text_only{at}", _med(ev["text_ms"]), "≤ 50 ms",
           "raw SELECTs of its row, matches, evidence", ev["raw_detail_ms"]),
        mb(f"console_rss_after_session{at}", s["rss_kb"]),
        mb(f"console_rss_peak_session{at}", s["hwm_kb"]),
        mb(f"console_rss_at_first_page_painted{at}", _med([r["rss_painted"] for r in starts])),
    ]


# -- raw SQL: the baselines ------------------------------------------------------------------
def fts_words(text: str) -> str:
    return " ".join(f'"{w}"*' for w in text.replace('"', " ").split())


def raw_page_sql(categories: dict[str, int], statuses: Sequence[str] = (),
                 category_keys: Sequence[str] = (), min_severity: int | None = None,
                 text: str | None = None, sort: str = "newest",
                 after: Sequence[Any] | None = None, probe: bool = False) -> tuple[str, list[Any]]:
    """One list page by hand: ids by keyset (one branch per status, merged), then the joins
    the list shows. `after` is the (captured_at, id) of the last row of the page before.
    With `probe`, a text search walks the sort order's index and tests each row against the
    hit set (`+id IN …`) instead of letting SQLite start from the hits."""
    desc = sort != "oldest"
    order = "captured_at DESC, id DESC" if desc else "captured_at, id"
    where: list[str] = []
    params: list[Any] = []
    if category_keys:
        where.append(f"category_id IN ({', '.join('?' * len(category_keys))})")
        params += [categories[k] for k in category_keys]
    if min_severity is not None:
        where.append("severity >= ?")
        params.append(min_severity)
    if text:
        where.append(f"{'+' if probe else ''}id IN "
                     "(SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?)")
        params.append(fts_words(text))
    if after is not None:
        where.append(f"(captured_at, id) {'<' if desc else '>'} (?, ?)")
        params += list(after)
    parts: list[tuple[str, list[Any]]] = []
    for branch in [[s] for s in statuses] or [[]]:
        cond = " AND ".join([*(["status = ?"] if branch else []), *where]) or "1"
        parts.append((f"SELECT id, captured_at FROM incidents WHERE {cond} ORDER BY {order} "
                      "LIMIT 200", [*branch, *params]))
    if len(parts) == 1:
        ids, ids_params = parts[0]
    else:
        ids = (" UNION ALL ".join(f"SELECT * FROM ({sql})" for sql, _ in parts)
               + f" ORDER BY {order} LIMIT 200")
        ids_params = [p for _, ps in parts for p in ps]
    outer = "p.captured_at DESC, p.id DESC" if desc else "p.captured_at, p.id"
    return (f"SELECT {_LIST_COLUMNS} FROM ({ids}) AS p {_LIST_JOINS} ORDER BY {outer}",
            ids_params)


def _raw_ms(conn: Any, query: tuple[str, Sequence[Any]], repeats: int = 7) -> float:
    from tests.perf.common import median_ms

    return median_ms(lambda: conn.execute(*query).fetchall(), repeats=repeats, warmup=1)


# -- the aside install with 1920×1080 screenshots ------------------------------------------
def _screenshot_install(passphrase: str) -> Path:
    """perf-results/console-screenshots: two incidents with a 1920×1080 screenshot (one in a
    restricted-imagery category), sealed and ingested as a device's would be. Built once."""
    from sqlalchemy import text

    from app.paths import DataPaths
    from app.services.install import open_install
    from tests.perf.bench_list import CACHE
    from tests.perf.bench_seed import fresh_install

    root = CACHE / "console-screenshots"
    console = (open_install(root, passphrase) if DataPaths(root).is_initialised()
               else fresh_install(root))
    try:
        with console.engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM evidence WHERE width = :w AND "
                                     "height = :h"), {"w": SHOT_SIZE[0], "h": SHOT_SIZE[1]})
            if int(have.scalar_one()) < 2:
                print(f"  adding two {SHOT_SIZE[0]}×{SHOT_SIZE[1]} screenshot incidents to "
                      f"{root} …", flush=True)
                _add_screenshots(console)
    finally:
        console.close()
    return root


def _add_screenshots(console: Any) -> None:
    import random

    from app.agent.incident import Capture, Screenshot, seal_incident
    from app.domain.content import IncidentContent, MatchSpan
    from app.domain.dto import Actor
    from app.domain.enums import Source
    from app.services.demo.detected import draw_detected_text
    from app.services.demo.palette import shipped_palette
    from app.services.demo.screens import pick_template, render_screenshot
    from app.services.demo_devices import fleet
    from app.services.ingest import IncomingIncident, ingest_batch, load_refs
    from app.services.seed import seed_reference

    seed_reference(console, seed=11)
    refs = load_refs(console)
    device = next(d for d in fleet(console.settings.install_id, len(refs.devices))
                  if d.uuid in refs.devices)
    palette = shipped_palette()
    items = []
    for n, category in enumerate(("bullying", "pornography")):  # the second is restricted
        rng = random.Random(1920 + n)
        detected = draw_detected_text(rng, category, palette)
        shot = render_screenshot(detected.text, pick_template(detected.text, rng), rng,
                                 *SHOT_SIZE)
        boxes = tuple((b.x, b.y, b.w, b.h) for b in shot.boxes)
        t = detected.text
        content = IncidentContent(t.app, t.window_title, t.url, t.context, tuple(
            MatchSpan(m.text, m.start, m.end, m.phrase_id, boxes if i == 0 else ())
            for i, m in enumerate(detected.matches)))
        capture = Capture(console.clock(), detected.primary.category, detected.primary.severity,
                          Source.SCREEN, palette.version, sorted(refs.subjects)[n], content,
                          Screenshot(shot.webp, "image/webp", shot.width, shot.height))
        sealed = seal_incident(capture, device.uuid, device.key,
                               console.keys.evidence_public_key, 900_000 + n)
        items.append(IncomingIncident(sealed.manifest, sealed.signature, sealed.content,
                                      tuple(blob for _sha, blob in sealed.blobs), opened=content))
    results = ingest_batch(console, Actor.system("benchmark"), items)
    if any(r.result != "stored" for r in results):
        raise RuntimeError(f"the screenshot incidents were not stored: {results}")


# -- child "start": the real console start, ending at the first page painted -----------------
def _start_child(argv: list[str]) -> int:
    marks: dict[str, float] = {}
    import app.ui.app as gui  # PySide6 and the console's modules, as main.py gui loads them
    from app.cli import main

    marks["imported"] = time.monotonic()
    marks["rss_imported"] = _proc_status("VmRSS")
    from app.ui.main_window import MainWindow as real_window

    real_open, real_sign_in = gui._open, gui._sign_in

    def opened(*args: Any, **kwargs: Any) -> Any:
        result = real_open(*args, **kwargs)
        marks["opened"] = time.monotonic()
        marks["rss_opened"] = _proc_status("VmRSS")
        return result

    def signed_in(*args: Any, **kwargs: Any) -> Any:
        result = real_sign_in(*args, **kwargs)
        marks["signed_in"] = time.monotonic()
        marks["rss_signed_in"] = _proc_status("VmRSS")
        return result

    def window(*args: Any, **kwargs: Any) -> Any:
        result = real_window(*args, **kwargs)
        marks["window_built"] = time.monotonic()
        marks["rss_window_built"] = _proc_status("VmRSS")
        return result

    def ready_when_painted(app: Any, main_window: Any) -> None:
        from PySide6.QtCore import QTimer

        view = main_window.incidents_view

        def painted() -> None:
            marks["painted"] = time.monotonic()
            marks["rss_painted"] = _proc_status("VmRSS")
            print(f"{START_TAG} {json.dumps(marks)}", flush=True)
            QTimer.singleShot(0, lambda: app.exit(0))

        def first_page() -> None:
            marks["first_page"] = time.monotonic()
            marks["rss_first_page"] = _proc_status("VmRSS")
            watch.arm()

        def failed(message: str) -> None:
            print(f"kestrel: {message}", file=sys.stderr, flush=True)
            QTimer.singleShot(0, lambda: app.exit(1))

        watch = paint_watch(view.table.viewport(), painted, parent=main_window)
        view.sig_first_page_loaded.connect(first_page)
        view.model.sig_load_failed.connect(failed)

    for name, patched in (("_open", opened), ("_sign_in", signed_in), ("MainWindow", window),
                          ("_quit_when_ready", ready_when_painted)):
        setattr(gui, name, patched)  # run_console looks each of these up at call time
    return main(argv)


def _proc_status(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float("nan")


@cache
def _paint_watch_class() -> type:
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _PaintWatch(QObject):
        """Calls `then()` once `widget` has painted after `arm()` (on the next turn of the
        event loop, so the paint itself is included)."""

        def __init__(self, widget: Any, then: Callable[[], None], parent: Any = None) -> None:
            super().__init__(parent)
            self._then, self._armed = then, False
            self._widget = widget
            widget.installEventFilter(self)

        def arm(self) -> None:
            self._armed = True
            self._widget.update()  # a page that changed nothing on screen still ends the wait

        def eventFilter(self, watched: Any, event: Any) -> bool:  # Qt's name
            if self._armed and event.type() == QEvent.Type.Paint:
                self._armed = False
                QTimer.singleShot(0, self._then)
            return False

        def remove(self) -> None:
            self._widget.removeEventFilter(self)

    return _PaintWatch


def paint_watch(widget: Any, then: Callable[[], None], parent: Any = None) -> Any:
    return _paint_watch_class()(widget, then, parent)


# -- child "session": one console process, every interaction timed --------------------------
class _Session:
    """The real MainWindow on the big install (signed in as its DSL), plus an EvidenceViewer
    on the aside install. GUI timings first; raw baselines only after the RSS is read, so the
    raw connection's page cache is not counted as the console's."""

    def __init__(self, root: Path, shots: Path, passphrase: str, password: str,
                 scale: str) -> None:
        from PySide6.QtWidgets import QApplication
        from sqlalchemy import text

        from app.services import users
        from app.services.executor import DbExecutor
        from app.services.install import open_install
        from app.ui.bridge import ServiceBridge
        from app.ui.look import apply_look
        from app.ui.main_window import MainWindow

        self.scale = scale
        self.app = QApplication(sys.argv[:1])
        apply_look(self.app)
        self.console = open_install(root, passphrase)
        self.session = users.login(self.console, "dsl", password)
        self.shot_console = open_install(shots, passphrase)
        self.shot_session = users.login(self.shot_console, "dsl", password)
        with self.console.engine.connect() as conn:
            self.categories = {str(k): int(i) for k, i in
                               conn.execute(text("SELECT key, id FROM categories"))}
        self.executor = DbExecutor()
        self.bridge = ServiceBridge(self.executor)
        self.window = MainWindow(self.console, self.session, self.bridge)
        self.window.resize(1400, 850)  # what app.ui.app gives it on a 1920×1080 screen
        self.window.show()
        view = self.window.incidents_view
        assert view is not None, "the DSL's window has an incident list"
        self.view = view
        self.settle()
        if view.model.rowCount() == 0:
            raise RuntimeError("the incident list's first page is empty")

    def settle(self, quiet_ms: int = 150) -> None:
        """Let every call in flight come back and the screen catch up."""
        deadline = time.monotonic() + 120
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            self.app.processEvents()
            if self.bridge.pending:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > quiet_ms / 1000:
                return
            time.sleep(0.002)
        raise RuntimeError("the console did not settle within 2 minutes")

    def timed(self, action: Callable[[], None], signal: Any, accept: Callable[..., bool],
              painted: Any, timeout_s: float = 60) -> float:
        """ms from `action()` until `signal` fired with arguments `accept` likes and, after
        that, `painted` (a widget) has painted."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        done: list[float] = []

        def finish() -> None:
            done.append(time.perf_counter())
            loop.quit()

        watch = paint_watch(painted, finish)

        def arrived(*args: Any) -> None:
            if accept(*args):
                watch.arm()

        signal.connect(arrived)
        try:
            start = time.perf_counter()
            action()
            if not done:
                QTimer.singleShot(int(timeout_s * 1000), loop.quit)
                loop.exec()
        finally:
            signal.disconnect(arrived)
            watch.remove()
            watch.deleteLater()
        if not done:
            raise RuntimeError("timed out waiting for the console to load and paint")
        ms = (done[0] - start) * 1000
        self.settle(quiet_ms=50)
        return ms

    def page_timed(self, action: Callable[[], None], first: bool = True) -> float:
        return self.timed(action, self.view.model.sig_page_loaded, lambda _n, f: f == first,
                          self.view.table.viewport())

    def page_sql(self, **extra: Any) -> tuple[str, list[Any]]:
        """The raw SQL of the model's current query (its first page unless `after`)."""
        q = self.view.model.query
        return raw_page_sql(self.categories, [s.value for s in q.statuses], q.category_keys,
                            q.min_severity, q.text, q.sort, **extra)

    # -- 2. filter changes --------------------------------------------------------------
    def filters(self) -> list[dict[str, Any]]:
        from app.domain.enums import IncidentStatus

        bar = self.view.filters
        steps: list[tuple[str, Any, Any]] = [
            ("category bullying", bar.category, ("bullying",)),
            ("+ severity 4+", bar.severity, 4),
            ("category all", bar.category, ()),
            ("status all", bar.status, ()),
            ("severity any", bar.severity, None),
            ("status new", bar.status, (IncidentStatus.NEW,)),
            ("category self-harm", bar.category, ("self_harm",)),
            ("category all", bar.category, ()),
            ("status new+reviewing", bar.status, _open_queue()),
        ]
        samples: list[list[float]] = [[] for _ in steps]
        sqls: list[tuple[str, list[Any]]] = [("", [])] * len(steps)
        for round_no in range(ROUNDS[self.scale] + 1):  # round 0 warms up, untimed
            for i, (_name, combo, value) in enumerate(steps):
                ms = self.page_timed(partial(combo.select_value, value))
                sqls[i] = self.page_sql()
                if round_no:
                    samples[i].append(ms)
        return [{"name": name, "ms": _med(samples[i]), "sql": sqls[i]}
                for i, (name, _combo, _value) in enumerate(steps)]

    # -- 3. search -------------------------------------------------------------------------
    def search(self) -> tuple[list[dict[str, Any]], list[float]]:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        box = self.view.filters.search

        def empty_and_enter() -> None:
            box.clear()
            QTest.keyClick(box, Qt.Key.Key_Return)

        def clear() -> None:  # back to the unsearched list, untimed
            if box.text():
                self.page_timed(empty_and_enter)

        words, typed = [], []
        for word in SEARCH_WORDS:
            samples = []
            for _ in range(ROUNDS[self.scale] + 1):  # the first is a warm-up
                clear()
                QTest.keyClicks(box, word)
                samples.append(self.page_timed(partial(QTest.keyClick, box, Qt.Key.Key_Return)))
            words.append({"word": word, "ms": _med(samples[1:]), "sql": self.page_sql(),
                          "probe_sql": self.page_sql(probe=True)})
            clear()
            self.page_timed(partial(box.setText, word[:-1]))  # its debounce fires, loads
            typed.append(self.page_timed(partial(QTest.keyClick, box, word[-1])))
        clear()
        return words, typed

    # -- 4. the end of the list ----------------------------------------------------------
    def paging(self) -> dict[str, Any]:
        bar, table = self.view.filters, self.view.table
        self.page_timed(partial(bar.status.select_value, ()))
        table.scrollToTop()
        self.settle()
        next_ms = [self.page_timed(table.scrollToBottom, first=False)
                   for _ in range(PAGES_DOWN[self.scale])]
        oldest = []
        for _ in range(ROUNDS[self.scale] + 2):  # the first is a warm-up
            oldest.append(self.page_timed(partial(bar.sort.select_value, "oldest")))
            self.page_timed(partial(bar.sort.select_value, "newest"))
        self.page_timed(partial(bar.status.select_value, _open_queue()))
        return {"next_page_ms": next_ms, "oldest_ms": oldest[1:],
                "oldest_sql": raw_page_sql(self.categories, sort="oldest")}

    # -- 5. the evidence viewer ----------------------------------------------------------
    def evidence(self) -> dict[str, Any]:
        from sqlalchemy import text

        from app.ui.evidence_viewer import EvidenceViewer

        with self.shot_console.engine.connect() as conn:
            shots = conn.execute(text(
                "SELECT e.incident_id, e.sealed_sha256, i.uuid, c.restricted_imagery "
                "FROM evidence e JOIN incidents i ON i.id = e.incident_id "
                "JOIN categories c ON c.id = i.category_id "
                "WHERE e.kind = 'screenshot' AND e.width = :w AND e.height = :h "
                "ORDER BY e.id"), {"w": SHOT_SIZE[0], "h": SHOT_SIZE[1]}).all()
        plain = next(r for r in shots if not r[3])
        restricted = next(r for r in shots if r[3])
        viewer = EvidenceViewer(self.bridge, self.shot_console, self.shot_session)
        viewer.resize(1280, 800)  # the incident window's size
        viewer.show()
        out: dict[str, Any] = {"shot": [str(plain[1]), str(plain[2])]}
        for key, row in (("plain_ms", plain), ("restricted_ms", restricted)):
            out[key] = self._loads(viewer, [int(row[0])] * (LOADS + 1),
                                   viewer.canvas.viewport())[1:]
            loaded = viewer.loaded
            if loaded is None or loaded.image.width() != SHOT_SIZE[0] or (
                    loaded.opened.blurred != bool(row[3])):
                raise RuntimeError("a screenshot did not open as expected")
        viewer.close()
        text_viewer = EvidenceViewer(self.bridge, self.console, self.session)
        text_viewer.resize(1280, 800)
        text_viewer.show()
        ids = [r.id for r in self.view.model.rows if not r.has_screenshot][:LOADS + 1]
        out["text_ms"] = self._loads(text_viewer, ids, text_viewer.notice)[1:]
        out["text_id"] = ids[1]
        text_viewer.close()
        return out

    def _loads(self, viewer: Any, ids: list[int], painted: Any) -> list[float]:
        failures: list[str] = []

        def failed(message: str) -> None:
            failures.append(message)

        viewer.sig_failed.connect(failed)
        try:
            times = [self.timed(partial(viewer.load, i), viewer.sig_loaded,
                                partial(operator.eq, i), painted) for i in ids]
        finally:
            viewer.sig_failed.disconnect(failed)
        if failures:
            raise RuntimeError(f"the evidence viewer failed: {failures[0]}")
        return times

    def raw_decode_ms(self, sealed_sha: str, incident_uuid: str) -> float:
        from PySide6.QtGui import QImage

        from app.security.sealing import open_sealed, seal_aad
        from app.services.evidence_store import unpack
        from tests.perf.common import median_ms

        path = self.shot_console.evidence.path_for(sealed_sha)
        key = self.shot_session.evidence_key()
        aad = seal_aad(incident_uuid, "screenshot")

        def decode() -> None:
            data = open_sealed(unpack(path.read_bytes()), key, aad)
            image = QImage.fromData(data).convertToFormat(QImage.Format.Format_RGB32)
            if image.width() != SHOT_SIZE[0]:
                raise RuntimeError("the raw decode did not give a 1920-pixel-wide image")

        return median_ms(decode, repeats=LOADS, warmup=1)

    def close(self) -> None:
        self.window.close()
        self.window.idle_lock.stop()
        self.bridge.close()
        self.executor.shutdown(wait=True)
        self.console.close()
        self.shot_console.close()


def _open_queue() -> tuple[Any, ...]:
    from app.domain.enums import IncidentStatus

    return (IncidentStatus.NEW, IncidentStatus.REVIEWING)


def _session_child(argv: list[str]) -> int:
    from db.engine import open_sqlcipher_connection

    root, shots, passphrase_file, password_file, scale = argv
    s = _Session(Path(root), Path(shots), Path(passphrase_file).read_text("utf-8").strip(),
                 Path(password_file).read_text("utf-8").strip(), scale)
    filters = s.filters()
    words, typed = s.search()
    paging = s.paging()
    evidence = s.evidence()
    s.settle()
    rss_kb, hwm_kb = _proc_status("VmRSS"), _proc_status("VmHWM")

    raw = open_sqlcipher_connection(s.console.paths.database, s.console.keys.database_key)
    for entry in filters:
        entry["raw_ms"] = _raw_ms(raw, entry.pop("sql"), repeats=5)
    for entry in words:  # the better of the two plans a hand-written query could use
        entry["raw_ms"] = min(_raw_ms(raw, entry.pop("sql"), repeats=5),
                              _raw_ms(raw, entry.pop("probe_sql"), repeats=5))
    next_raw, after = [], None
    for _ in range(PAGES_DOWN[scale] + 1):  # page 1, then the pages the scroll bar fetched
        sql, params = raw_page_sql(s.categories, after=after)
        rows = raw.execute(sql, params).fetchall()
        if after is not None:
            next_raw.append(_raw_ms(raw, (sql, params), repeats=3))
        after = (rows[-1][2], rows[-1][0])
    detail = 0.0
    for sql in ("SELECT * FROM incidents WHERE id = ?",
                "SELECT * FROM matches WHERE incident_id = ?",
                "SELECT * FROM evidence WHERE incident_id = ?"):
        detail += _raw_ms(raw, (sql, [evidence["text_id"]]))
    result = {
        "filters": filters, "search": words, "search_typed_ms": typed,
        "next_page_ms": paging["next_page_ms"], "next_page_raw_ms": next_raw,
        "oldest_ms": paging["oldest_ms"], "oldest_raw_ms": _raw_ms(raw, paging["oldest_sql"]),
        "evidence": {"plain_ms": evidence["plain_ms"], "restricted_ms": evidence["restricted_ms"],
                     "text_ms": evidence["text_ms"], "raw_detail_ms": detail,
                     "raw_decode_ms": s.raw_decode_ms(*evidence["shot"])},
        "rss_kb": rss_kb, "hwm_kb": hwm_kb,
    }
    raw.close()
    s.close()
    print(f"{SESSION_TAG} {json.dumps(result)}", flush=True)
    return 0


if __name__ == "__main__":
    _mode, _rest = sys.argv[1], sys.argv[2:]
    sys.exit(_start_child(_rest) if _mode == "start" else _session_child(_rest))
