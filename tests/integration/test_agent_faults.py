"""What a technician sees when the agent meets a fault: every one is a single line — from the
command that failed (non-zero exit) and in `agent status` — and nothing captured is lost.

Real pieces throughout: `main.py agent …` in subprocesses, a real receiver on loopback with real
TLS over a real install, the agent's own recorder and outbox. Faults: a garbage bundle, an expired
bundle, a wrong typed code, nothing listening (for enrol and for run), a failed re-enrolment of an
enrolled device, a rogue console (another school's receiver) on the bundle's address, a full disk
(a real 256 KiB tmpfs in a private mount namespace) and the outbox's own size cap, a device clock
two days off, a screen the OCR cannot read, and a console restarted between two syncs over the
connection the agent keeps (which must cost no refusal).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from base64 import b64decode
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from PIL import Image
from sqlalchemy import func, select

from app.agent import identity
from app.agent.library_sync import AgentLibrary
from app.agent.outbox import Outbox
from app.agent.recorder import Recorder, Seen
from app.agent.runner import OUTBOX_FILE, STATE_FILE, Agent
from app.agent.screen import ScreenWatcher
from app.agent.window import WindowInfo
from app.detection.ocr import tesseract_binary
from app.detection.ocr.tesseract import TesseractBackend
from app.domain.enums import Source
from app.net import client as client_module
from app.net import tls
from app.net.client import SyncRefused
from app.net.sender import ConsoleLink
from app.net.server import ReceiverServer
from app.services import enrolment, users
from app.services.console import Console
from app.services.executor import DbExecutor
from app.services.install import create_install
from db.models import AuditEvent, Device, EnrolRequest, Incident
from tests.conftest import DSL_PASSWORD, PASSPHRASE, REPO, run_main

TEXT = "honestly you should kill yourself"
TWO_DAYS_S = 2 * 24 * 3600


# --- the pieces ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _headless_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


@dataclass
class School:
    install: Console
    executor: DbExecutor
    port: int
    server: ReceiverServer | None = None

    def up(self) -> None:
        self.server = ReceiverServer(self.install, self.executor, "127.0.0.1", self.port)
        assert self.server.start() == self.port

    def down(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def dsl(self):  # type: ignore[no-untyped-def]
        return users.login(self.install, "dsl", DSL_PASSWORD)

    def bundle(self, path: Path, address: str | None = None, uses: int = 1) -> Path:
        enrolment.save_token_bundle(self.install, self.dsl(), uses, timedelta(hours=1), True,
                                    "lab", [address or f"127.0.0.1:{self.port}"], path)
        return path

    def count(self, model: Any) -> int:
        with self.install.reading() as db:
            return int(db.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def school(install) -> Iterator[School]:  # type: ignore[no-untyped-def]
    executor = DbExecutor()
    found = School(install, executor, _free_port())
    found.up()
    yield found
    found.down()
    executor.shutdown()


def _cli(*args: str) -> tuple[int, str, str]:
    return run_main("agent", *args, env=_headless_env(), timeout=120)


def _one_line_failure(code: int, err: str) -> str:
    """The command failed with one `kestrel:` line (a library's log noise aside — see
    test_enrol_prints_only_its_own_line_on_stderr); returns that line."""
    assert code != 0, "the command should have failed"
    lines = [line for line in err.splitlines() if line.startswith("kestrel: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    return lines[0]


def _status(folder: Path) -> dict[str, Any]:
    code, out, err = _cli("status", "--data-dir", str(folder), "--json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def _problem(doc: dict[str, Any]) -> str:
    problem = doc["problem"]
    assert problem, f"agent status shows no problem: {doc}"
    assert "\n" not in problem and len(problem) <= 300, problem
    return str(problem)


def _enrolled(school: School, tmp_path: Path, name: str = "agent") -> Path:
    folder = tmp_path / name
    code, _out, err = _cli("enrol", "--data-dir", str(folder), "--bundle",
                           str(school.bundle(tmp_path / f"{name}-bundle.json")))
    assert code == 0, err
    return folder


def _recorder(folder: Path, outbox: Outbox) -> tuple[Recorder, tuple[Any, ...]]:
    me = identity.load(folder)
    key = X25519PublicKey.from_public_bytes(b64decode(me.evidence_key))
    matcher = AgentLibrary(folder).matcher
    matches = tuple(matcher.find(TEXT))
    assert matches
    return Recorder(me.device_uuid, identity.load_key(folder), outbox, lambda: key,
                    lambda: matcher.version, user="pupil.one"), matches


def _record(folder: Path, count: int, screenshot: Image.Image | None = None,
            cap_bytes: int | None = None) -> list[str | None]:
    with Outbox(folder / OUTBOX_FILE, **({"cap_bytes": cap_bytes} if cap_bytes else {})) \
            as outbox:
        recorder, matches = _recorder(folder, outbox)
        return [recorder.record(Seen(Source.TYPED, TEXT, matches,
                                     WindowInfo(f"w{n}", f"Chat {n}", "chat"), {}, screenshot))
                for n in range(count)]


def _start_agent(folder: Path) -> subprocess.Popen[str]:
    agent = subprocess.Popen([sys.executable, str(REPO / "main.py"), "agent", "run",
                              "--data-dir", str(folder)], env=_headless_env(), cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert agent.stdout is not None
    assert "agent running" in agent.stdout.readline()
    return agent


def _stop_agent(agent: subprocess.Popen[str]) -> int:
    agent.send_signal(signal.SIGTERM)
    try:
        return agent.wait(20)
    finally:
        if agent.poll() is None:
            agent.kill()


def _wait_for_problem(folder: Path, containing: str, seconds: float = 15) -> str:
    """The running agent's last problem, once it mentions `containing` (from state.json, which
    `agent status` reads)."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            problems = json.loads((folder / STATE_FILE).read_text("utf-8")).get("problems") or {}
            last = problems.get("sync")
        except (OSError, ValueError):
            last = None
        if last and containing in last:
            return str(last)
        time.sleep(0.1)
    raise AssertionError(f"no problem mentioning {containing!r} within {seconds} s: {last!r}")


# --- enrolment faults -----------------------------------------------------------------------

def test_a_garbage_bundle_is_one_line_and_leaves_the_device_unenrolled(tmp_path) -> None:  # type: ignore[no-untyped-def]
    garbage = tmp_path / "bundle.json"
    garbage.write_text('{"kestrel_enrolment": 1, "school": "Test Sch', "utf-8")
    folder = tmp_path / "agent"
    line = _one_line_failure(*_cli("enrol", "--data-dir", str(folder), "--bundle",
                                   str(garbage))[::2])
    assert "enrolment bundle cannot be read" in line
    status = _status(folder)
    assert status["enrolled"] is False
    assert "not enrolled" in _problem(status)


def test_an_expired_bundle_is_refused_by_the_console_in_one_line(school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    real_clock = school.install.clock
    school.install.clock = lambda: real_clock() - timedelta(days=3)
    try:
        bundle = school.bundle(tmp_path / "old.json")  # valid for an hour, three days ago
    finally:
        school.install.clock = real_clock
    folder = tmp_path / "agent"
    line = _one_line_failure(*_cli("enrol", "--data-dir", str(folder), "--bundle",
                                   str(bundle))[::2])
    assert line == "kestrel: Not enrolled: the enrolment token has expired."
    assert school.count(Device) == 0
    status = _status(folder)
    assert status["enrolled"] is False and "not enrolled" in _problem(status)


def test_a_wrong_typed_code_is_refused_in_one_line_and_the_right_one_still_works(
        school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _expires = enrolment.create_code(school.install, school.dsl())
    groups = code.split("-")
    groups[-1] = "2222" if groups[-1] != "2222" else "3333"  # the secret's last group
    folder = tmp_path / "agent"
    address = f"127.0.0.1:{school.port}"
    line = _one_line_failure(*_cli("enrol", "--data-dir", str(folder), "--code",
                                   "-".join(groups), "--console", address)[::2])
    assert line == "kestrel: Not enrolled: the enrolment code does not match."
    status = _status(folder)
    assert status["enrolled"] is False and "not enrolled" in _problem(status)
    assert school.count(Device) == 0

    right, out, err = _cli("enrol", "--data-dir", str(folder), "--code", code, "--console",
                           address)
    assert right == 0, err
    assert out.startswith("Waiting for approval")  # a typed code always waits for staff
    status = _status(folder)
    assert status["waiting_for_approval"] is True


def test_enrolling_with_nothing_listening_is_one_line(tmp_path, install) -> None:  # type: ignore[no-untyped-def]
    dead = f"127.0.0.1:{_free_port()}"
    school = School(install, DbExecutor(), 0)
    try:
        bundle = school.bundle(tmp_path / "bundle.json", dead)
    finally:
        school.executor.shutdown()
    folder = tmp_path / "agent"
    line = _one_line_failure(*_cli("enrol", "--data-dir", str(folder), "--bundle",
                                   str(bundle))[::2])
    assert line.startswith("kestrel: Not enrolled: the console could not be reached")
    status = _status(folder)
    assert status["enrolled"] is False and "not enrolled" in _problem(status)


def test_enrol_prints_only_its_own_line_on_stderr(tmp_path, install) -> None:  # type: ignore[no-untyped-def]
    """A technician reading a failed enrolment sees the reason and nothing else."""
    school = School(install, DbExecutor(), 0)
    try:
        bundle = school.bundle(tmp_path / "bundle.json", f"127.0.0.1:{_free_port()}")
    finally:
        school.executor.shutdown()
    code, _out, err = _cli("enrol", "--data-dir", str(tmp_path / "agent"), "--bundle",
                           str(bundle))
    assert code != 0
    assert len(err.strip().splitlines()) == 1, f"more than one line on stderr:\n{err}"


def test_a_failed_re_enrolment_leaves_the_working_enrolment_alone(school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An enrolled device, `agent enrol` run again with a bundle whose console cannot be
    reached: the command fails — and the device must still sync as before."""
    folder = _enrolled(school, tmp_path)
    key_before = (folder / identity.KEY_FILE).read_bytes()
    stale = school.bundle(tmp_path / "stale.json", f"127.0.0.1:{_free_port()}")
    _one_line_failure(*_cli("enrol", "--data-dir", str(folder), "--bundle", str(stale))[::2])
    assert _record(folder, 1)[0] is not None
    assert (folder / identity.KEY_FILE).read_bytes() == key_before, (
        "the failed enrolment replaced the device key, so the saved certificate no longer "
        "matches it: the device cannot sync any more")
    agent = Agent(folder)
    try:
        asyncio.run(agent._sync_once())
    finally:
        agent.outbox.close()
    assert school.count(Incident) == 1


# --- running faults -------------------------------------------------------------------------

def test_running_with_nothing_listening_says_so_and_loses_nothing(school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = _enrolled(school, tmp_path)
    school.down()
    recorded = _record(folder, 3)
    agent = _start_agent(folder)
    try:
        _wait_for_problem(folder, "could not be reached")
        status = _status(folder)
    finally:
        assert _stop_agent(agent) == 0
    assert status["enrolled"] is True and status["outbox_depth"] == 3
    assert _problem(status).startswith("The console did not take the incidents: the console "
                                       "could not be reached")
    with Outbox(folder / OUTBOX_FILE) as outbox:
        assert {i.uuid for i in outbox.waiting(10)} == set(recorded)


def test_a_rogue_console_on_the_bundle_address_is_told_nothing(school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Another school's receiver takes over the address the device knows: TLS fails on the pin,
    the device says so in one line, and the rogue gets no device, no incident, no request."""
    folder = _enrolled(school, tmp_path)
    fresh_bundle = school.bundle(tmp_path / "second.json")
    school.down()
    rogue_install, _recovery = create_install(tmp_path / "rogue", "Rogue School", "dsl",
                                              "Rex Rogue", DSL_PASSWORD, key_mode="passphrase",
                                              passphrase=PASSPHRASE)
    rogue = School(rogue_install, DbExecutor(), school.port)
    rogue.up()
    try:
        audit_before = rogue.count(AuditEvent)
        _record(folder, 2)
        agent = _start_agent(folder)
        try:
            problem = _wait_for_problem(folder, "could not be reached")
            status = _status(folder)
        finally:
            assert _stop_agent(agent) == 0
        assert status["outbox_depth"] == 2
        assert _problem(status) == problem

        line = _one_line_failure(*_cli("enrol", "--data-dir", str(tmp_path / "second"),
                                       "--bundle", str(fresh_bundle))[::2])
        assert line.startswith("kestrel: Not enrolled: the console could not be reached")

        assert (rogue.count(Device), rogue.count(Incident), rogue.count(EnrolRequest)) \
            == (0, 0, 0)
        assert rogue.count(AuditEvent) == audit_before  # no refused attempt either: nothing sent
    finally:
        rogue.down()
        rogue.executor.shutdown()
        rogue_install.close()


# --- the disk fills up --------------------------------------------------------------------

FULL_DISK_CHILD = textwrap.dedent("""
    import json, os, shutil, subprocess, sys
    from pathlib import Path
    src, mnt = Path(sys.argv[1]), Path(sys.argv[2])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mnt)],
                   check=True)
    for name in ("agent.json", "device-key.pem"):
        shutil.copy(src / name, mnt / name)
    sys.path.insert(0, os.getcwd())
    from PIL import Image
    from app.agent.runner import Agent
    from app.agent.recorder import Seen
    from app.agent.window import WindowInfo
    from app.domain.enums import Source
    agent = Agent(mnt)
    matches = tuple(agent.library.matcher.find(%(text)r))
    shot = Image.effect_noise((160, 120), 80).convert("RGB")
    recorded, errors = [], []
    for n in range(60):
        screenshot = shot if n %% 2 == 0 else None
        try:
            recorded.append(agent.record(Seen(Source.SCREEN, %(text)r, matches,
                                              WindowInfo(f"w{n}", "Chat", "chat"), {},
                                              screenshot)))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    depth = agent.outbox.depth()
    agent.outbox.close()
    status = subprocess.run([sys.executable, "main.py", "agent", "status", "--data-dir",
                             str(mnt), "--json"], capture_output=True, text=True)
    print(json.dumps({"recorded": [r for r in recorded if r], "errors": errors,
                      "depth": depth, "status_code": status.returncode,
                      "status": status.stdout, "status_err": status.stderr}))
""") % {"text": TEXT}


def _private_tmpfs_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c",
                            "mount -t tmpfs -o size=64k tmpfs /mnt && df /mnt"],
                           capture_output=True, timeout=20)
    return probe.returncode == 0


@pytest.mark.skipif(not _private_tmpfs_works(),
                    reason="needs `unshare -rm` and tmpfs mounts in a user namespace")
def test_a_full_disk_is_reported_and_the_agent_keeps_what_it_holds(school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real full disk: the agent's folder on a 256 KiB tmpfs in a private mount namespace.
    The recorder must not throw into its callers (the screen loop does not catch it), what was
    recorded stays, and `agent status` says in one line that the disk is full."""
    folder = _enrolled(school, tmp_path)
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    child = subprocess.run(["unshare", "-rm", sys.executable, "-c", FULL_DISK_CHILD,
                            str(folder), str(mount_point)], capture_output=True, text=True,
                           cwd=REPO, env=_headless_env(), timeout=120)
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["recorded"], "nothing at all fitted: make the tmpfs bigger"
    assert result["status_code"] == 0, result["status_err"]
    status = json.loads(result["status"])
    assert status["outbox_depth"] == result["depth"] == len(result["recorded"])
    problems = [status["problem"] or "", *result["errors"][:1]]
    assert not result["errors"], (
        f"Recorder.record raised into its caller on a full disk ({len(result['errors'])} of 60 "
        f"times; first: {result['errors'][0]}); agent status problem: {status['problem']!r}")
    assert any(word in _problem(status).lower() for word in ("full", "space")), problems


def test_over_the_outbox_cap_screenshots_give_way_and_text_is_kept(school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The outbox's own cap (not a full file system): incidents keep coming, without their
    screenshots once there is no room, and `agent status` counts the dropped ones."""
    folder = _enrolled(school, tmp_path)
    noise = Image.effect_noise((200, 150), 80).convert("RGB")
    recorded = _record(folder, 12, noise, cap_bytes=200_000)
    assert all(recorded)
    with Outbox(folder / OUTBOX_FILE) as outbox:
        waiting = outbox.waiting(50)
        with_shots = sum(1 for i in waiting if i.blobs)
        assert outbox.status().bytes <= 200_000
    status = _status(folder)
    assert status["outbox_depth"] == 12
    assert 0 < with_shots < 12
    assert status["screenshots_dropped"] == 12 - with_shots

    agent = Agent(folder)
    try:
        asyncio.run(agent._sync_once())  # the console still takes them all
    finally:
        agent.outbox.close()
    assert school.count(Incident) == 12
    assert _status(folder)["outbox_depth"] == 0


# --- a clock two days off ------------------------------------------------------------------

class _TwoDaysAhead(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> _TwoDaysAhead:  # type: ignore[override]
        real = datetime.now(tz) + timedelta(seconds=TWO_DAYS_S)
        return cls.fromtimestamp(real.timestamp(), tz)


def test_a_device_clock_two_days_off_is_recorded_and_its_incident_still_stored(
        school, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder = _enrolled(school, tmp_path)
    monkeypatch.setattr(client_module, "datetime", _TwoDaysAhead)  # hello's sent_at
    from app.agent import recorder as recorder_module

    monkeypatch.setattr(recorder_module, "datetime", _TwoDaysAhead)  # the capture time
    (sent,) = _record(folder, 1)
    agent = Agent(folder)
    try:
        asyncio.run(agent._sync_once())
    finally:
        agent.outbox.close()
    deadline = time.monotonic() + 10
    skew = None
    while time.monotonic() < deadline:  # heartbeats are flushed every second
        with school.install.reading() as db:
            skew = db.execute(select(Device.clock_skew_s)).scalar_one()
        if skew is not None:
            break
        time.sleep(0.2)
    assert skew is not None and abs(skew - TWO_DAYS_S) <= 5, skew
    with school.install.reading() as db:
        stored = db.execute(select(Incident.uuid, Incident.captured_at)).one()
    assert stored.uuid == sent
    captured = stored.captured_at if stored.captured_at.tzinfo else \
        stored.captured_at.replace(tzinfo=UTC)
    assert abs((captured - datetime.now(UTC)).total_seconds() - TWO_DAYS_S) < 60
    assert _status(folder)["outbox_depth"] == 0


# --- a screen the OCR cannot read ----------------------------------------------------------

@pytest.mark.skipif(not tesseract_binary(), reason="needs Tesseract")
def test_a_screen_the_ocr_cannot_read_is_counted_and_skipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Real Tesseract on a real image it cannot read: a 40000×3 strip (wider than Tesseract's
    page limit once prepared) makes libtesseract's recognition fail with a KestrelError."""
    backend = TesseractBackend(str(tesseract_binary()))  # our own, not the shared instance
    watcher = ScreenWatcher(backend)
    matcher = AgentLibrary(tmp_path).matcher
    try:
        assert watcher.read(Image.new("RGB", (40000, 3), "black"), matcher) is None
        assert watcher.read(Image.new("RGB", (40000, 3), "white"), matcher) is None
        assert watcher.unreadable == 2
        # and the watcher still reads the next, ordinary screen
        ordinary = watcher.read(Image.new("RGB", (320, 60), "white"), matcher)
        assert ordinary is not None and ordinary.matches == ()
        assert watcher.unreadable == 2
    finally:
        backend.close()


def test_sync_refused_for_an_unreachable_console_is_status_0(school, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The sender's view of nothing listening: a retryable refusal with status 0."""
    folder = _enrolled(school, tmp_path)
    school.down()
    agent = Agent(folder)
    try:
        with pytest.raises(SyncRefused) as refused:
            asyncio.run(agent._sync_once())
    finally:
        agent.outbox.close()
    assert refused.value.status == 0 and refused.value.retryable


def test_syncs_keep_one_connection_and_a_console_restart_costs_no_refusal(
        school, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An incident costs its requests, not a TLS context and a handshake: the agent's sender
    keeps both from one sync to the next. A console restarted in between is reached again at
    once (no problem reported), and a sync that only said hello lets the connection go."""
    handshakes: list[str | None] = []
    built: list[int] = []
    server_context, client_context = tls.server_context, tls.client_context

    def counting_server(*args):  # type: ignore[no-untyped-def]
        context = server_context(*args)  # its SNI callback runs once per handshake
        context.sni_callback = lambda _conn, name, _context: handshakes.append(name)
        return context

    def counting_client(*args):  # type: ignore[no-untyped-def]
        built.append(1)
        return client_context(*args)

    folder = _enrolled(school, tmp_path)
    monkeypatch.setattr(tls, "server_context", counting_server)
    monkeypatch.setattr(tls, "client_context", counting_client)
    school.down()
    school.up()
    agent = Agent(folder)
    matches = tuple(agent.library.matcher.find(TEXT))

    def record(n: int) -> None:
        assert agent.record(Seen(Source.TYPED, TEXT, matches,
                                 WindowInfo(f"w{n}", f"Chat {n}", "chat"), {}, None))

    async def syncs() -> list[int]:
        seen = []
        async with ConsoleLink() as link:
            for n in range(3):
                record(n)
                await agent._sync_once(link)
            seen.append(len(handshakes))
            school.down()
            school.up()
            record(3)
            await agent._sync_once(link)
            seen.append(len(handshakes))
            await agent._sync_once(link)  # nothing to send: a heartbeat
            record(4)
            await agent._sync_once(link)
            seen.append(len(handshakes))
        return seen

    try:
        seen = asyncio.run(syncs())
    finally:
        agent.outbox.close()
    assert seen == [1, 2, 3]
    assert len(built) == 1  # one TLS context for all six syncs
    assert school.count(Incident) == 5
    assert "sync" not in (agent.state.problems or {})
