"""The console down for a whole school morning: the agent keeps what it captured and delivers it
exactly once when the console comes back.

A device is enrolled through the CLI from a real bundle (console up), then the console stops.
The agent's own recorder seals 500 incidents (a few with screenshots) into its real outbox while
`agent run` — a real subprocess, no display, so only its sender does anything — fails to reach
the console and backs off. `agent status` shows all 500 waiting and one line saying why. Then a
console comes up on the same address and the outbox drains: the console holds exactly 500
incidents with 500 distinct ids, and at every poll (outbox first, then the console)
console count + outbox depth >= 500 — an incident leaves the outbox only after the console
committed it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from base64 import b64decode
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from PIL import Image
from sqlalchemy import func, select

from app.agent import identity
from app.agent.library_sync import AgentLibrary
from app.agent.outbox import Outbox
from app.agent.recorder import Recorder, Seen
from app.agent.runner import OUTBOX_FILE, STATE_FILE
from app.agent.window import WindowInfo
from app.domain.enums import Source
from app.net.server import ReceiverServer
from app.services import enrolment, users
from app.services.executor import DbExecutor
from db.models import Device, Incident
from tests.conftest import DSL_PASSWORD, REPO, run_main

INCIDENTS = 500
WITH_SCREENSHOT_EVERY = 25  # 20 screenshots: the evidence path is exercised, the test stays fast
DRAIN_S = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return {**env, "QT_QPA_PLATFORM": "offscreen"}


def _status(folder: Path) -> dict:  # type: ignore[type-arg]
    code, out, err = run_main("agent", "status", "--data-dir", str(folder), "--json",
                              timeout=60)
    assert code == 0, err
    return json.loads(out)


def _outbox_depth(folder: Path) -> int:
    """Read straight from the file, read-only, as another process would."""
    db = sqlite3.connect(f"file:{folder / OUTBOX_FILE}?mode=ro", uri=True, timeout=10)
    try:
        return int(db.execute("SELECT count(*) FROM items WHERE aside_reason IS NULL")
                   .fetchone()[0])
    finally:
        db.close()


def _console_incidents(install) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with install.reading() as db:
        return (db.execute(select(func.count()).select_from(Incident)).scalar_one(),
                db.execute(select(func.count(func.distinct(Incident.uuid)))).scalar_one())


def _record_offline(folder: Path, count: int) -> set[str]:
    """Seal `count` incidents into the agent's outbox with the agent's own recorder and the
    library it ships with (as the typed and screen sources would)."""
    me = identity.load(folder)
    agent_key = identity.load_key(folder)
    matcher = AgentLibrary(folder).matcher
    text = "honestly you should kill yourself"
    matches = tuple(matcher.find(text))
    assert matches, "the shipped library has no phrase in the sample text"
    shot = Image.effect_noise((320, 120), 60).convert("RGB")
    uuids: set[str] = set()
    with Outbox(folder / OUTBOX_FILE) as outbox:
        key = X25519PublicKey.from_public_bytes(b64decode(me.evidence_key))
        recorder = Recorder(me.device_uuid, agent_key, outbox, lambda: key,
                            lambda: matcher.version, user="pupil.one")
        for n in range(count):
            window = WindowInfo(f"0x{n:06x}", f"Chat {n}", "chat")  # no debounce between them
            screenshot = shot if n % WITH_SCREENSHOT_EVERY == 0 else None
            recorded = recorder.record(Seen(Source.TYPED, text, matches, window, {}, screenshot))
            assert recorded is not None
            uuids.add(recorded)
        assert outbox.depth() == count
    return uuids


def test_500_incidents_queued_while_the_console_is_down_arrive_exactly_once(
        install, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    executor = DbExecutor()
    server = ReceiverServer(install, executor, "127.0.0.1", port)
    assert server.start() == port
    agent: subprocess.Popen[str] | None = None
    try:
        dsl = users.login(install, "dsl", DSL_PASSWORD)
        bundle = tmp_path / "bundle.json"
        enrolment.save_token_bundle(install, dsl, 1, timedelta(hours=1), True, "lab",
                                    [f"127.0.0.1:{port}"], bundle)
        folder = tmp_path / "agent"
        code, _out, err = run_main("agent", "enrol", "--data-dir", str(folder), "--bundle",
                                   str(bundle), env=_headless_env(), timeout=120)
        assert code == 0, err
        server.stop()  # the console is down from here on

        sent = _record_offline(folder, INCIDENTS)
        agent = subprocess.Popen([sys.executable, str(REPO / "main.py"), "agent", "run",
                                  "--data-dir", str(folder)], env=_headless_env(), cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert agent.stdout is not None
        assert "agent running" in agent.stdout.readline()

        # The sender has tried and failed at least once: the reason is on record.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            state = json.loads((folder / STATE_FILE).read_text("utf-8")) \
                if (folder / STATE_FILE).exists() else {}
            if state.get("last_problem"):
                break
            time.sleep(0.1)
        status = _status(folder)
        assert status["outbox_depth"] == INCIDENTS
        assert status["enrolled"] is True and status["last_sync_at"] is None
        assert status["problem"] and "\n" not in status["problem"]
        assert "could not be reached" in status["problem"], status["problem"]
        assert _console_incidents(install) == (0, 0)

        # The console comes back on the same address; the running agent finds it.
        server = ReceiverServer(install, executor, "127.0.0.1", port)
        assert server.start() == port
        polls = 0
        deadline = time.monotonic() + DRAIN_S
        while True:
            depth = _outbox_depth(folder)  # first the outbox, then the console: see above
            stored, _distinct = _console_incidents(install)
            polls += 1
            assert stored + depth >= INCIDENTS, (
                f"poll {polls}: {depth} in the outbox + {stored} at the console < {INCIDENTS}: "
                "an incident left the outbox before the console had it")
            if depth == 0:
                break
            assert time.monotonic() < deadline, \
                f"the outbox still held {depth} of {INCIDENTS} after {DRAIN_S} s"
            time.sleep(0.05)

        assert _console_incidents(install) == (INCIDENTS, INCIDENTS)
        with install.reading() as db:
            arrived = set(db.execute(select(Incident.uuid)).scalars())
            devices = db.execute(select(func.count()).select_from(Device)).scalar_one()
        assert arrived == sent and devices == 1
        status = _status(folder)
        assert status["outbox_depth"] == 0 and status["set_aside"] == 0
        assert status["last_sync_at"] is not None
        # No display here, so the screen loop's complaint may be the last problem; the
        # console's is gone.
        assert "could not be reached" not in (status["problem"] or "")
    finally:
        if agent is not None:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(20)
            finally:
                if agent.poll() is None:
                    agent.kill()
        server.stop()
        executor.shutdown()
