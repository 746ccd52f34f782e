"""agent: the device agent's CPU and memory on a real X server, and keystroke-to-outbox time.

What runs (as in tests/integration/test_agent_xvfb.py): Xvfb on a free display, a console
receiver in this process (real TLS on loopback, auto-approved enrolment bundle), and
`main.py agent run --ocr tesseract` as a subprocess with the default policy (typed, screen and
window on; the screen read every `ocr_interval_s` = 5 s when it changed). Two Qt windows: a text
box that has the focus (the typing's target) and a "class chat" window (40 % of the screen) that
shows a new page every `CHANGE_S` seconds during the active phase: ten new lines on the next of
four background shades (grey levels 17 apart). The agent reads only what is new on a screen
(app.agent.changes: changed boxes of a 320×180 thumbnail, then rows compared as "ink" against
the last screen, so a re-shaded pane is not new text and a scrolled one is recognised), so each
tick reads the chat's new lines and the tail of the typing — the steady work of a lesson with a
busy chat open, not a repeated full-screen read.

Phases, after a warm-up (first hello, the OCR child started, the first screen read):
1. idle: no typing, a static screen (only the text box's caret blinks);
2. active: `xdotool type` at 200 characters a minute (300 ms a key) of benign school text, a
   library phrase now and then (every 10 s at small scale, every 30 s at full — each a different
   phrase, so the recorder's 60 s debounce never hides one), and the chat window scrolling.
Small scale runs 30 s per phase; full runs 60 s idle and 120 s active.

Measured from /proc (no psutil): the agent process and all its descendants (the spawned
Tesseract child): utime+stime over wall time (% of one core), children's CPU also on its own;
VmHWM/VmRSS of the agent and, separately, of its children. Keystroke-to-outbox: the wall time
just before the phrase's final space is sent (`xdotool type " "`, so a few ms of xdotool start
are counted against us) to the first poll (every 5 ms, a read-only SQLite connection) that sees
the typed incident in the outbox — the sender acknowledges and deletes it soon after, so the
poll must be quick. The manifest's `captured_at` splits that into "to capture" (grab + OCR of
the focused window) and "capture to outbox" (WebP, seal, sign, fsync'd insert).

No baseline process does "the same work" here, so figures carry no ratio; `KESTREL_PERF_VERBOSE=1`
also prints the agent's per-thread CPU in the active phase and the tail of its log.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from app.paths import REPO_ROOT
from tests.perf.common import Figure

PHASE_S = {"small": (30.0, 30.0), "full": (60.0, 120.0)}  # idle, active
PHRASE_EVERY_S = {"small": 10.0, "full": 30.0}
WARMUP_S = 12.0  # > ocr_interval_s: the first screen read (and the OCR child) happens in it
KEY_DELAY_MS = 300  # 200 characters a minute
XDOTOOL_DELAY_MS = 2 * KEY_DELAY_MS  # `xdotool type` waits half its --delay per key
CHANGE_S = 3.0  # the chat window scrolls this often in the active phase
SAMPLE_S = 0.5
POLL_S = 0.005
SETTLE_S = 15.0  # after the active phase: wait this long for the last phrase's incident
PASSPHRASE = "bench install passphrase"
DSL_PASSWORD = "correct horse battery"
TARGETS = {"cpu_active": 5.0, "cpu_idle": 2.0, "rss_mb": 200.0, "latency_ms": 1000.0}
NO_BASELINE = "none (absolute target)"

# (what is typed before the phrase, the phrase); every phrase a different library entry
PHRASES = (("honestly you should ", "kill yourself", "bu-0002"),
           ("and ", "nobody would miss you", "bu-0016"),
           ("they said ", "everyone hates you", "bu-0022"),
           ("go ", "hang yourself", "bu-0006"),
           ("he said ", "you are worthless", "bu-0039"),
           ("i ", "want to die", "su-0022"))
BENIGN = ("we met after lunch to finish the geography project about rivers and the water cycle.",
          "the homework is due on friday so please check the notes again before class.",
          "my favourite book this term is about a boy who builds a boat with his grandad.",
          "can you bring the blue folder tomorrow because mine got wet in the rain.",
          "the science trip is next week and we need a packed lunch and a coat.",
          "i think the answer to question four is twelve but i am not sure.")
CHAT_WORDS = ("maths", "lunch", "football", "library", "homework", "music", "rehearsal",
              "bus", "science", "project", "weekend", "drawing", "history", "quiz", "netball",
              "biscuits", "poster", "choir", "revision", "timetable")

TEXT_BOX = """
import sys
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QTextEdit
app = QApplication(sys.argv)
box = QTextEdit()
box.setWindowTitle("Class notes")
box.setFont(QFont("DejaVu Sans", 22))
box.resize(900, 300)
box.move(40, 40)
box.show()
box.activateWindow()
app.exec()
"""
CHAT = """
import json, os, sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv)
lines, go, every = json.load(open(sys.argv[1])), sys.argv[2], float(sys.argv[3])
label = QLabel("\\n".join(lines[:10]))
label.setWindowTitle("Class chat")
label.setFont(QFont("DejaVu Sans", 15))
label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
label.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
label.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus)
label.resize(1180, 380)
label.move(40, 390)
label.show()
PAGES = tuple(f"background: {c}; color: #000000" for c in ("#ffffff", "#e6eef8", "#d3e0f0",
                                                         "#c0d2e8"))
label.setStyleSheet(PAGES[0])
state = {"n": 0, "ticks": 0}
def tick():
    if not os.path.exists(go):
        return
    state["ticks"] += 1
    if state["ticks"] * 0.25 < every:
        return
    state["ticks"], state["n"] = 0, state["n"] + 2
    start = state["n"] % (len(lines) - 10)
    label.setText("\\n".join(lines[start:start + 10]))
    label.setStyleSheet(PAGES[state["n"] // 2 % len(PAGES)])
timer = QTimer()
timer.timeout.connect(tick)
timer.start(250)
app.exec()
"""


def run(scale: str) -> list[Figure]:
    """The device agent on Xvfb: CPU % of one core idle and typing, RSS, keystroke-to-outbox."""
    missing = [t for t in ("Xvfb", "xdotool", "tesseract") if not shutil.which(t)]
    if missing:
        print(f"  agent: {', '.join(missing)} not installed here; skipped", flush=True)
        return []
    _check_texts()
    idle_s, active_s = PHASE_S[scale]
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-agent-") as tmp:
        result = _measure(Path(tmp), idle_s, active_s, PHRASE_EVERY_S[scale])
    return _figures(result)


# --- the measurement ---------------------------------------------------------------------------

@dataclass
class Sample:
    at: float
    agent_ticks: int  # utime+stime+cutime+cstime of the agent
    child_ticks: int  # the same, summed over its live descendants
    agent_rss_kb: int
    child_rss_kb: int  # summed over live descendants
    agent_hwm_kb: int
    child_hwm_kb: int  # the largest descendant's peak
    threads: dict[int, int] = field(default_factory=dict)  # tid → utime+stime


@dataclass
class Phase:
    name: str
    seconds: float
    agent_cpu: float  # % of one core
    child_cpu: float
    rss_mean_mb: float
    rss_max_mb: float
    child_rss_max_mb: float
    total_rss_max_mb: float
    peak_window_cpu: float  # the busiest 5 s, agent + children
    child_bursts: int  # runs of sample intervals in which the OCR child used ≥ 50 ms each
    threads: list[tuple[int, float]]  # (tid, % of one core), busiest first

    @property
    def cpu(self) -> float:
        return self.agent_cpu + self.child_cpu


@dataclass
class Typed:
    phrase: str
    keyed_at: float  # wall time just before the final space was sent
    captured_at: float | None = None
    in_outbox_at: float | None = None


@dataclass
class Result:
    idle: Phase
    active: Phase
    typed: list[Typed]
    chars_per_minute: float
    agent_hwm_mb: float
    child_hwm_mb: float
    screen_incidents: int
    unmatched_typed: int
    log_tail: str
    log_warnings: dict[str, int]


def _measure(tmp: Path, idle_s: float, active_s: float, phrase_every: float) -> Result:
    with _xvfb() as display, _console(tmp) as port:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        chat_lines = tmp / "chat.json"
        chat_lines.write_text(json.dumps(_chat_lines(200)))
        go = tmp / "go"
        windows = [_window(CHAT, env, "Class chat", [str(chat_lines), str(go), str(CHANGE_S)])]
        try:
            windows.append(_window(TEXT_BOX, env, "Class notes", [], focus=True))
            folder = _enrol(tmp, env, port)
            log_path = tmp / "agent.log"
            agent = _start_agent(folder, env, log_path)
            try:
                return _phases(agent, folder, env, go, log_path, idle_s, active_s,
                               phrase_every)
            finally:
                agent.terminate()
                try:
                    agent.wait(20)
                except subprocess.TimeoutExpired:
                    agent.kill()
                    agent.wait(5)
        finally:
            for window in windows:
                window.terminate()
                window.wait(10)


def _phases(agent: subprocess.Popen[bytes], folder: Path, env: dict[str, str], go: Path,
            log_path: Path, idle_s: float, active_s: float, phrase_every: float) -> Result:
    sampler = _Sampler(agent.pid)
    watcher = _OutboxWatcher(folder / "outbox.db")
    sampler.start()
    watcher.start()
    try:
        _wait_for_ocr_child(agent.pid, WARMUP_S + 20)
        time.sleep(WARMUP_S)
        print(f"  agent: warmed up; idle phase {idle_s:.0f} s", flush=True)
        idle_from = sampler.now()
        time.sleep(idle_s)
        idle_to = sampler.now()
        print(f"  agent: active phase {active_s:.0f} s (typing at 200 chars/min, a phrase every "
              f"{phrase_every:.0f} s, the chat window changing page every {CHANGE_S:.0f} s)",
              flush=True)
        go.touch()
        typist = _Typist(env, active_s, phrase_every)
        active_from = sampler.now()
        typist.run()
        active_to = sampler.now()
        go.unlink()
        _wait_for_incidents(watcher, typist.typed, SETTLE_S)
    finally:
        watcher.stop()
        sampler.stop()
    last = sampler.samples[-1]
    typed_seen = sorted((s for s in watcher.seen if s.source == "typed"), key=lambda s: s.first)
    used: set[str] = set()
    for item in typist.typed:
        hit = next((s for s in typed_seen if s.uuid not in used and s.first >= item.keyed_at), None)
        if hit is not None:
            used.add(hit.uuid)
            item.in_outbox_at, item.captured_at = hit.first, hit.captured_at
    return Result(_phase("idle", sampler, idle_from, idle_to),
                  _phase("active", sampler, active_from, active_to), typist.typed,
                  typist.chars / (typist.seconds / 60), last.agent_hwm_kb / 1024,
                  last.child_hwm_kb / 1024,
                  sum(1 for s in watcher.seen if s.source == "screen"),
                  len(typed_seen) - len(used), _tail(log_path), _warnings(log_path))


def _phase(name: str, sampler: _Sampler, first: Sample, last: Sample) -> Phase:
    hz = os.sysconf("SC_CLK_TCK")
    wall = last.at - first.at
    inside = [s for s in sampler.samples if first.at <= s.at <= last.at] or [first, last]
    window = max(1, round(5.0 / SAMPLE_S))
    peak = max(((b.agent_ticks + b.child_ticks - a.agent_ticks - a.child_ticks) / hz
                / (b.at - a.at) * 100 for a, b in zip(inside, inside[window:], strict=False)),
               default=0.0)
    busy = [(b.child_ticks - a.child_ticks) / hz >= 0.05 for a, b in itertools.pairwise(inside)]
    bursts = sum(1 for before, now in zip([False, *busy], busy, strict=False) if now and not before)
    threads = sorted(((tid, (ticks - first.threads.get(tid, 0)) / hz / wall * 100)
                      for tid, ticks in last.threads.items()), key=lambda t: -t[1])
    return Phase(name, wall, (last.agent_ticks - first.agent_ticks) / hz / wall * 100,
                 (last.child_ticks - first.child_ticks) / hz / wall * 100,
                 statistics.fmean(s.agent_rss_kb for s in inside) / 1024,
                 max(s.agent_rss_kb for s in inside) / 1024,
                 max(s.child_rss_kb for s in inside) / 1024,
                 max(s.agent_rss_kb + s.child_rss_kb for s in inside) / 1024, peak, bursts,
                 threads)


# --- /proc ----------------------------------------------------------------------------------------

def _stat(path: str) -> list[str] | None:
    """The fields of a /proc stat file after the command name (field 3 onward), or None."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _ticks(fields: list[str], children: bool = True) -> int:
    # after the name: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if children else 0)


def _memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB; zeros for a process that has gone."""
    rss = hwm = 0
    with suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii",
                                 errors="replace") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(f"/proc/{entry}/stat")
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class _Sampler:
    """Samples the agent's process tree every SAMPLE_S on a thread; `now()` samples at once."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def now(self) -> Sample:
        sample = self._take()
        with self._lock:
            self.samples.append(sample)
            self.samples.sort(key=lambda s: s.at)
        return sample

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.now()

    def _take(self) -> Sample:
        fields = _stat(f"/proc/{self.pid}/stat")
        agent_ticks = _ticks(fields) if fields else 0
        child_ticks = child_rss = child_hwm = 0
        for pid in _descendants(self.pid):
            child = _stat(f"/proc/{pid}/stat")
            if child is None:
                continue
            child_ticks += _ticks(child)
            rss, hwm = _memory_kb(pid)
            child_rss += rss
            child_hwm = max(child_hwm, hwm)
        threads = {}
        with suppress(OSError):
            for tid in os.listdir(f"/proc/{self.pid}/task"):
                task = _stat(f"/proc/{self.pid}/task/{tid}/stat")
                if task is not None:
                    threads[int(tid)] = _ticks(task, children=False)
        rss, hwm = _memory_kb(self.pid)
        return Sample(time.time(), agent_ticks, child_ticks, rss, child_rss, hwm, child_hwm,
                      threads)


def _wait_for_ocr_child(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _descendants(pid):
            return
        time.sleep(0.2)
    print("  agent: no OCR child appeared during the warm-up", flush=True)


# --- the outbox -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seen:
    uuid: str
    first: float  # wall time of the first poll that saw it
    source: str
    captured_at: float


class _OutboxWatcher:
    """Polls the agent's outbox read-only and notes when each incident first appears (the
    sender deletes it once the console acknowledges it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[Seen] = []
        self._uuids: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        from app.domain.manifest import decode_manifest

        db: sqlite3.Connection | None = None
        while not self._stop.is_set():
            try:
                if db is None:
                    db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1)
                rows = db.execute("SELECT uuid, manifest FROM items").fetchall()
            except sqlite3.Error:
                if db is not None:
                    db.close()
                db = None
                time.sleep(0.05)
                continue
            now = time.time()
            for uuid, raw in rows:
                if uuid not in self._uuids:
                    self._uuids.add(uuid)
                    manifest = decode_manifest(bytes(raw))
                    self.seen.append(Seen(uuid, now, manifest.source.value,
                                          manifest.captured_at.timestamp()))
            time.sleep(POLL_S)
        if db is not None:
            db.close()


def _wait_for_incidents(watcher: _OutboxWatcher, typed: list[Typed], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for s in watcher.seen if s.source == "typed") >= len(typed):
            return
        time.sleep(0.1)


# --- typing ---------------------------------------------------------------------------------------

class _Typist:
    """Types benign sentences word by word at KEY_DELAY_MS a key, with a library phrase every
    `phrase_every` seconds (the first at half that), for `seconds`."""

    def __init__(self, env: dict[str, str], seconds: float, phrase_every: float) -> None:
        self.env, self.duration, self.every = env, seconds, phrase_every
        self.typed: list[Typed] = []
        self.chars = 0
        self.seconds = 0.0

    def run(self) -> None:
        start = time.monotonic()
        next_phrase, phrases = start + self.every / 2, iter(PHRASES * 10)
        words = (w for _ in range(1000) for sentence in BENIGN for w in [*sentence.split(), "\n"])
        while time.monotonic() - start < self.duration:
            if time.monotonic() >= next_phrase:
                before, phrase, _ = next(phrases)
                self._type(before + phrase)
                keyed_at = time.time()
                self._type(" ", delay=0)
                self.typed.append(Typed(phrase, keyed_at))
                next_phrase += self.every
                continue
            word = next(words)
            self._type(word if word == "\n" else word + " ")
        self.seconds = time.monotonic() - start

    def _type(self, text: str, delay: int = XDOTOOL_DELAY_MS) -> None:
        subprocess.run(["xdotool", "type", "--delay", str(delay), text], env=self.env,
                       check=True, timeout=60)
        self.chars += len(text)


def _chat_lines(count: int) -> list[str]:
    lines = []
    for n in range(count):
        a, b, c = (CHAT_WORDS[(n * k + k) % len(CHAT_WORDS)] for k in (1, 3, 7))
        lines.append(f"pupil{n % 9 + 1}: is {a} still on after {b}? bring your {c} notes ({n})")
    return lines


def _check_texts() -> None:
    """The benign texts match nothing and each phrase exactly its entry, in the shipped library
    (what a fresh install sends its agents)."""
    from app.detection.library import load_library
    from app.detection.matcher import Matcher
    from app.paths import RESOURCES

    matcher = Matcher.compile(load_library(RESOURCES / "phrases"))
    for text in (*BENIGN, *_chat_lines(200)):
        if matcher.find(text):
            raise AssertionError(f"benign bench text matches the library: {text!r}")
    for before, phrase, ident in PHRASES:
        if ident not in {m.phrase_id for m in matcher.find(before + phrase)}:
            raise AssertionError(f"bench phrase {phrase!r} does not match {ident}")


# --- the set-up -----------------------------------------------------------------------------------

def _free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@contextmanager
def _xvfb() -> Iterator[str]:
    number = _free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(10)


@contextmanager
def _console(tmp: Path) -> Iterator[int]:
    from app.net.server import ReceiverServer
    from app.services.executor import DbExecutor
    from app.services.install import create_install

    install, _recovery = create_install(tmp / "school", "Bench School", "dsl", "Dana Lead",
                                        DSL_PASSWORD, key_mode="passphrase",
                                        passphrase=PASSPHRASE)
    executor = DbExecutor()
    server = ReceiverServer(install, executor)
    port = server.start()
    try:
        _install_policy(install, port, tmp)
        yield port
    finally:
        server.stop()
        executor.shutdown()
        install.close()


def _install_policy(install: object, port: int, tmp: Path) -> None:
    from app.services import agent_policy, enrolment, users
    from app.services.agent_policy import AgentPolicy

    dsl = users.login(install, "dsl", DSL_PASSWORD)  # type: ignore[arg-type]
    agent_policy.set_policy(install, dsl, AgentPolicy())  # type: ignore[arg-type]
    enrolment.save_token_bundle(install, dsl, 1, timedelta(hours=1), True, "bench",  # type: ignore[arg-type]
                                [f"127.0.0.1:{port}"], tmp / "bundle.json")


def _enrol(tmp: Path, env: dict[str, str], port: int) -> Path:
    folder = tmp / "agent"
    enrol = subprocess.run([sys.executable, str(REPO_ROOT / "main.py"), "agent", "enrol",
                            "--data-dir", str(folder), "--bundle", str(tmp / "bundle.json")],
                           capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120)
    if enrol.returncode != 0:
        raise RuntimeError(f"agent enrol failed: {enrol.stderr.strip()[-500:]}")
    return folder


def _start_agent(folder: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    out = log_path.with_suffix(".out")
    with open(out, "wb") as stdout, open(log_path, "wb") as stderr:
        agent = subprocess.Popen([sys.executable, str(REPO_ROOT / "main.py"), "agent", "run",
                                  "--data-dir", str(folder), "--ocr", "tesseract"], env=env,
                                 cwd=REPO_ROOT, stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 60
    while "agent running" not in out.read_text(errors="replace"):
        if agent.poll() is not None or time.monotonic() > deadline:
            agent.kill()
            raise RuntimeError(f"the agent did not start: {_tail(log_path)}")
        time.sleep(0.1)
    return agent


def _window(script: str, env: dict[str, str], title: str, args: list[str],
            focus: bool = False) -> subprocess.Popen[bytes]:
    window = subprocess.Popen([sys.executable, "-c", script, *args], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", title], capture_output=True,
                               text=True, env=env)
        if found.stdout.strip():
            if focus:
                subprocess.run(["xdotool", "windowfocus", "--sync", found.stdout.split()[0]],
                               env=env, timeout=10)
            return window
        time.sleep(0.2)
    window.kill()
    raise RuntimeError(f"the {title!r} window did not appear")


def _warnings(path: Path) -> dict[str, int]:
    """The agent's WARNING/ERROR log lines, counted by their first 90 characters."""
    counts: dict[str, int] = {}
    with suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(("WARNING", "ERROR")):
                counts[line[:90]] = counts.get(line[:90], 0) + 1
    return counts


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the figures ----------------------------------------------------------------------------------

def _figures(r: Result) -> list[Figure]:
    idle, active = r.idle, r.active
    for phase in (idle, active):
        print(f"  agent: {phase.name} {phase.seconds:.0f} s: agent {phase.agent_cpu:.2f} % + OCR "
              f"child {phase.child_cpu:.2f} % of one core (busiest 5 s {phase.peak_window_cpu:.1f} "
              f"%); {phase.child_bursts} OCR bursts; RSS mean {phase.rss_mean_mb:.0f} MB, max "
              f"{phase.rss_max_mb:.0f} MB, children max {phase.child_rss_max_mb:.0f} MB",
              flush=True)
    latencies = [(t.in_outbox_at - t.keyed_at) * 1000 for t in r.typed
                 if t.in_outbox_at is not None]
    to_capture = [(t.captured_at - t.keyed_at) * 1000 for t in r.typed
                  if t.captured_at is not None]
    print(f"  agent: typed {r.chars_per_minute:.0f} chars/min; {len(r.typed)} phrases typed, "
          f"{len(latencies)} reached the outbox as typed incidents "
          f"({r.unmatched_typed} other typed incidents, {r.screen_incidents} screen incidents)",
          flush=True)
    for t in r.typed:
        if t.in_outbox_at is None:
            print(f"  agent:   {t.phrase!r}: no typed incident seen in the outbox", flush=True)
        else:
            print(f"  agent:   {t.phrase!r}: to capture "
                  f"{((t.captured_at or t.keyed_at) - t.keyed_at) * 1000:.0f} ms, in the outbox "
                  f"{(t.in_outbox_at - t.keyed_at) * 1000:.0f} ms", flush=True)
    for line, count in r.log_warnings.items():
        print(f"  agent: log {count}× {line}", flush=True)
    if os.environ.get("KESTREL_PERF_VERBOSE"):
        busiest = ", ".join(f"tid {tid} {cpu:.2f} %" for tid, cpu in active.threads[:8])
        print(f"  agent: active-phase threads: {busiest}", flush=True)
        print("  agent: log tail:\n" + "\n".join(f"    {line}" for line in
                                                 r.log_tail.splitlines()), flush=True)

    def fig(name: str, value: float, unit: str, target: str) -> Figure:
        return Figure(name, value, unit, target, NO_BASELINE, None)

    figures = [
        fig("agent_cpu_idle_percent", idle.cpu, "%", f"≤ {TARGETS['cpu_idle']:.0f} %"),
        fig("agent_cpu_active_mean_percent", active.cpu, "%", f"≤ {TARGETS['cpu_active']:.0f} %"),
        fig("agent_cpu_active_ocr_child_percent", active.child_cpu, "%", "report only"),
        fig("agent_cpu_active_busiest_5s_percent", active.peak_window_cpu, "%", "report only"),
        fig("agent_rss_peak_mb", r.agent_hwm_mb, "MB", f"≤ {TARGETS['rss_mb']:.0f} MB"),
        fig("agent_ocr_child_rss_peak_mb", r.child_hwm_mb, "MB", "report only"),
        fig("agent_plus_children_rss_max_mb", max(idle.total_rss_max_mb, active.total_rss_max_mb),
            "MB", "report only"),
    ]
    if latencies:
        figures += [
            fig("agent_typed_keystroke_to_outbox_median_ms", statistics.median(latencies), "ms",
                f"≤ {TARGETS['latency_ms']:.0f} ms"),
            fig("agent_typed_keystroke_to_outbox_max_ms", max(latencies), "ms",
                f"≤ {TARGETS['latency_ms']:.0f} ms"),
            fig("agent_typed_keystroke_to_capture_median_ms", statistics.median(to_capture), "ms",
                "report only"),
        ]
    figures.append(fig("agent_typed_phrases_missed", len(r.typed) - len(latencies), "phrases",
                       "0"))
    return figures
