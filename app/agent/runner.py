"""`agent run`: the capture sources, the recorder and the sender, until asked to stop.

Three kinds of thread: the typed-text worker (fed by the keyboard listener), the screen loop
(grab → OCR of what is new on it → match, every `ocr_interval_s`), and the sender (an asyncio
loop that says hello — which also brings policy and library updates — and drains the outbox,
waiting out an unreachable console with backoff; its TLS context and connection are kept from
one sync to the next, `ConsoleLink`). Each applies the console's policy as it stands, without a
restart. The screen loop leaves the words it last read (`screen_memory`) for the typed source,
which then reads only what changed in the focused window to place the typed words.
`state.json` records what `agent status` reports: last sync, the console, the last problem, in
one line each.

Threading: `Agent.run(stop)` blocks until `stop` is set; call `stop.set()` from a signal handler.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import threading
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from app.agent import identity
from app.agent.library_sync import AgentLibrary
from app.agent.outbox import Outbox
from app.agent.recorder import Recorder, Seen
from app.agent.screen import ScreenWatcher, grab_screen
from app.agent.typed_source import Remembered
from app.agent.window import active_window
from app.detection.ocr import OcrBackend, get_backend, tesseract_binary
from app.domain.enums import Source
from app.domain.geometry import Box
from app.fileio import write_atomically
from app.net.client import HelloReply, SyncClient, SyncRefused
from app.net.sender import ConsoleLink, Sender, backoff_delay
from app.services.agent_policy import AgentPolicy, policy_from_doc

log = logging.getLogger(__name__)
_RNG = random.Random()
AGENT_VERSION = "0.4.0"
STATE_FILE = "state.json"
OUTBOX_FILE = "outbox.db"


@dataclass
class AgentState:
    """What `agent status` shows (no captured text, ever)."""

    console: str | None = None
    last_sync_at: str | None = None
    problems: dict[str, str] | None = None  # area (sync, screen, outbox, library) → one line
    library_version: str | None = None
    policy: dict[str, Any] | None = None

    def problem_lines(self) -> list[str]:
        """Most consequential first: not sending, then not keeping, then not seeing."""
        order = ("sync", "outbox", "library", "screen")
        found = self.problems or {}
        return [found[a] for a in order if a in found] + \
            [line for area, line in sorted(found.items()) if area not in order]


def read_state(folder: Path) -> AgentState:
    try:
        doc = json.loads((folder / STATE_FILE).read_text("utf-8"))
        return AgentState(**{k: doc.get(k) for k in AgentState.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return AgentState()


class Agent:
    def __init__(self, folder: Path, ocr: str | None = None) -> None:
        self.folder = folder
        self.identity = identity.load(folder)
        self.key = identity.load_key(folder)
        self.outbox = Outbox(folder / OUTBOX_FILE)
        self.library = AgentLibrary(folder)
        self.state = read_state(folder)
        self.policy = _policy(self.state.policy)
        self._evidence = X25519PublicKey.from_public_bytes(
            base64.b64decode(self.identity.evidence_key)) if self.identity.evidence_key else None
        self.recorder = Recorder(self.identity.device_uuid, self.key, self.outbox,
                                 self.evidence_key, lambda: self.library.version)
        self._ocr_name = ocr or ("tesseract" if tesseract_binary() else "rapidocr")
        self._ocr: OcrBackend | None = None
        self.wake = threading.Event()  # set when something is recorded: send soon
        self.screen_memory: Remembered | None = None  # the screen loop's last reading

    # --- shared by the sources ---------------------------------------------------------------

    def evidence_key(self) -> X25519PublicKey:
        if self._evidence is None:
            raise identity.NotEnrolledError("The school's evidence key is unknown; enrol again.")
        return self._evidence

    def ocr(self) -> OcrBackend:
        if self._ocr is None:
            self._ocr = get_backend(self._ocr_name)
        return self._ocr

    def record(self, seen: Seen) -> str | None:
        """Record a capture; a full disk or a broken outbox is reported, never raised into a
        capture source (what the outbox already holds stays)."""
        if seen.window.is_agent or seen.window.app in self.policy.excluded_apps:
            return None
        try:
            incident = self.recorder.record(seen)
        except Exception as exc:
            self._problem("outbox", f"An incident could not be kept: {exc}")
            return None
        self._solved("outbox")
        if incident is not None:
            self.wake.set()
        return incident

    # --- running ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        threads = [threading.Thread(target=self._send_forever, args=(stop,),
                                    name="kestrel-agent-sender", daemon=True),
                   threading.Thread(target=self._watch_screen, args=(stop,),
                                    name="kestrel-agent-screen", daemon=True)]
        typed = _typed_source(self, stop)
        for thread in threads:
            thread.start()
        try:
            stop.wait()
        finally:
            if typed is not None:
                typed.stop()
            self.wake.set()
            for thread in threads:
                thread.join(15)
            if self._ocr is not None and hasattr(self._ocr, "close"):
                self._ocr.close()
            self.outbox.close()

    def _watch_screen(self, stop: threading.Event) -> None:
        watcher: _Watcher | None = None
        while not stop.wait(self.policy.ocr_interval_s):
            if not (self.policy.screen and in_school_hours(self.policy, datetime.now())):
                continue
            try:
                image = grab_screen()
                watcher = watcher or _Watcher(self.ocr())
                reading = watcher.check(image, self.library.matcher)
            except Exception as exc:  # a display gone, an OCR engine missing: say, go on
                self._problem("screen", f"The screen could not be read: {exc}")
                continue
            finally:
                if watcher is not None:
                    self.screen_memory = watcher.remembered()
            if reading is None:  # nothing new on the screen (or it could not be read)
                continue
            self._solved("screen")
            if reading.matches:
                matches = tuple(m.match for m in reading.matches)
                self.record(Seen(Source.SCREEN, reading.text, matches, active_window(),
                                 {i: m.boxes for i, m in enumerate(reading.matches)}, image))

    def _send_forever(self, stop: threading.Event) -> None:
        asyncio.run(self._sender(stop))

    async def _sender(self, stop: threading.Event) -> None:
        async with ConsoleLink() as link:
            await self._send_until(stop, link)

    async def _send_until(self, stop: threading.Event, link: ConsoleLink) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                await self._sync_once(link)
                attempt, wait = 0, float(60)
            except SyncRefused as refusal:
                self._problem("sync", f"The console did not take the incidents: "
                                      f"{refusal.reason}")
                wait = refusal.retry_after if refusal.retry_after is not None else \
                    backoff_delay(attempt, _RNG)
                attempt += 1
            except identity.NotEnrolledError as exc:
                self._problem("sync", str(exc))
                wait = 60.0
            except Exception as exc:  # a damaged key or certificate: say so, keep trying
                log.exception("sync failed")
                self._problem("sync", f"Syncing failed: {type(exc).__name__}: {exc}")
                wait = backoff_delay(attempt, _RNG)
                attempt += 1
            await _wait(self.wake, stop, wait)

    async def _sync_once(self, link: ConsoleLink | None = None) -> None:
        """Hello, then send everything in the outbox; over `link`'s kept context and connection
        (without one, a link of its own, closed at the end)."""
        if link is None:
            async with ConsoleLink() as own:
                await self._sync_once(own)
            return
        current = self.identity
        if not current.approved:
            from app.agent.enrolling import ask_again  # only a waiting device needs it
            current = self.identity = await ask_again(self.folder, current)
            if not current.approved:
                raise identity.NotEnrolledError("Waiting for approval on the console.")
        context = link.context(current.ca(), current.ca_pin, current.device_certificate(),
                               self.key)
        last: SyncRefused | None = None
        for address in current.consoles:
            try:
                await self._sync_with(link, address, context)
                return
            except SyncRefused as refusal:
                if refusal.status != 0:
                    raise
                last = refusal
        raise last or SyncRefused(0, "no console address")

    async def _sync_with(self, link: ConsoleLink, address: str, context: Any) -> None:
        status = self.outbox.status()

        def hello(client: SyncClient) -> Awaitable[HelloReply]:
            return client.hello(self.outbox.epoch(), AGENT_VERSION, status.depth,
                                status.dropped_screenshots, self.library.version)

        try:
            client, reply = await link.first(address, context, self.identity.device_uuid,
                                             hello)
            self._apply(reply.policy, reply.library, reply.evidence_public_key)
            sender = Sender(client, self.outbox, self.outbox.epoch(), AGENT_VERSION, _RNG)
            sender.max_batch = reply.limits.max_batch
            rounds = 0
            while self.outbox.depth():
                await sender.send_round(greet=rounds > 0)  # the first round: hello was said
                rounds += 1
        except SyncRefused as refusal:
            if refusal.status == 0:  # its connection is not to be trusted again
                await link.release()
            raise
        except Exception:
            await link.release()
            raise
        if not rounds:  # only a heartbeat: hold no connection open on the console till the next
            await link.release()
        self.state.console = address
        self.state.last_sync_at = datetime.now(UTC).isoformat()
        self._solved("sync")
        if self.library.problem:
            self._problem("library", self.library.problem)
        else:
            self._solved("library")

    def _apply(self, policy: dict[str, Any], library: dict[str, Any] | None,
               evidence_key: bytes) -> None:
        self.policy = _policy(policy)
        self.state.policy = self.policy.as_doc()
        if library is not None:
            self.library.update(library)
        self.state.library_version = self.library.version
        self._evidence = X25519PublicKey.from_public_bytes(evidence_key)

    def _problem(self, area: str, line: str) -> None:
        log.warning("%s", line)
        self.state.problems = {**(self.state.problems or {}), area: line[:300]}
        self._save_state()

    def _solved(self, area: str) -> None:
        if area in (self.state.problems or {}):
            self.state.problems = {k: v for k, v in (self.state.problems or {}).items()
                                   if k != area}
        self._save_state()

    def _save_state(self) -> None:
        try:
            write_atomically(self.folder / STATE_FILE, json.dumps(asdict(self.state)).encode())
        except Exception:  # a full disk must not stop capturing or sending
            log.warning("agent state not saved", exc_info=True)


class _Watcher(ScreenWatcher):
    def remembered(self) -> Remembered | None:
        """The screen as last read and its words, when they agree (a read planned but not
        done, or a failed one, leaves nothing to go by)."""
        if self._words is None or self._plan is not None or self._gray is None:
            return None
        height, width = self._gray.shape
        return Remembered(self._gray, self._words, Box(0, 0, width, height))


def in_school_hours(policy: AgentPolicy, now: datetime) -> bool:
    if policy.school_hours is None:
        return True
    if now.weekday() not in policy.school_days:
        return False
    start, end = policy.school_hours.split("-")
    return start <= f"{now:%H:%M}" < end


def _policy(doc: dict[str, Any] | None) -> AgentPolicy:
    try:
        return policy_from_doc(doc or {})
    except Exception:  # a damaged cache: the defaults until the next hello
        return AgentPolicy()


def _typed_source(agent: Agent, stop: threading.Event) -> Any:
    """The keyboard listener, where the platform has one (a desktop session)."""
    try:
        from app.agent.typed_source import TypedSource
    except ImportError:  # pragma: no cover - no typed source on this platform
        return None
    return TypedSource.start(agent, stop)


async def _wait(wake: threading.Event, stop: threading.Event, seconds: float) -> None:
    """Sleep up to `seconds`, waking early when an incident is recorded or on stop (a quarter
    second's granularity: a typed incident reaches the console promptly, idle costs nothing)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not (stop.is_set() or wake.is_set()) and loop.time() < deadline:
        await asyncio.sleep(0.25)
    wake.clear()
