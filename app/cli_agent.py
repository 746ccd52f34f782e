"""The agent's commands (DESIGN §12): `agent enrol`, `agent run`, `agent status`.

The agent keeps its files (device key, identity, outbox, state) in its own folder: `--data-dir`,
by default the per-user folder `Kestrel Agent` (a system service passes its own).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

import platformdirs

from app.cli_common import add_common
from app.errors import ValidationError

LOW_DISK_BYTES = 2 * 1024 * 1024  # less than this free and an incident may not fit


def register(agent_sub: Any) -> None:
    enrol = agent_sub.add_parser("enrol", help="enrol this device with the school's console")
    add_common(enrol)
    how = enrol.add_mutually_exclusive_group(required=True)
    how.add_argument("--bundle", type=Path, help="the enrolment bundle file from the console")
    how.add_argument("--code", help="a typed enrolment code (7 groups of 4)")
    enrol.add_argument("--console", metavar="HOST:PORT",
                       help="the console's address (with --code, if mDNS does not find it)")
    enrol.set_defaults(handler=_cmd_enrol)
    run = agent_sub.add_parser("run", help="watch for library phrases and send incidents")
    add_common(run)
    run.add_argument("--ocr", choices=("rapidocr", "tesseract"), default=None,
                     help="screen OCR (default: Tesseract where installed)")
    run.set_defaults(handler=_cmd_run)
    status = agent_sub.add_parser("status", help="enrolment, last sync and outbox depth")
    add_common(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_cmd_status)


def agent_dir(args: argparse.Namespace) -> Path:
    given = getattr(args, "data_dir", None)
    return Path(given) if given else Path(platformdirs.user_data_dir("Kestrel Agent",
                                                                     appauthor=False))


def _cmd_enrol(args: argparse.Namespace) -> int:
    from app.agent import enrolling
    from app.net.client import SyncRefused

    folder = agent_dir(args)
    try:
        if args.bundle is not None:
            saved = asyncio.run(enrolling.enrol_from_bundle(folder, args.bundle))
        else:
            saved = asyncio.run(enrolling.enrol_with_code(folder, args.code, args.console))
    except SyncRefused as refusal:
        raise ValidationError(f"Not enrolled: {refusal.reason}.") from None
    from app.agent.identity import load_key
    from app.security import pki
    from app.security.enrolment_proof import short_id

    sid = short_id(pki.raw_public(load_key(folder).public_key()))
    if saved.approved:
        print(f"Enrolled {saved.hostname} with {saved.school or 'the console'}. "
              f"Short id {sid}.")
    else:
        print(f"Waiting for approval: on the console's Devices screen, approve {saved.hostname} "
              f"after checking its short id is {sid}.")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from app.agent.runner import Agent

    logging.getLogger().setLevel(logging.INFO)
    agent = Agent(agent_dir(args), args.ocr)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"Kestrel agent running for {agent.identity.hostname}. Ctrl+C stops it.", flush=True)
    agent.run(stop)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from app.agent import identity
    from app.agent.outbox import Outbox
    from app.agent.runner import OUTBOX_FILE, read_state

    folder = agent_dir(args)
    try:
        me: identity.Identity | None = identity.load(folder)
        problem = None
    except ValidationError as exc:
        me, problem = None, str(exc)
    state = read_state(folder)
    with Outbox(folder / OUTBOX_FILE) as outbox:
        box = outbox.status()
    problems = [p for p in (problem, box.problem, _disk_problem(folder),
                            *state.problem_lines()) if p]
    doc: dict[str, Any] = {"enrolled": bool(me and me.approved), "waiting_for_approval": bool(
        me and not me.approved), "device": me.hostname if me else None,
        "console": state.console or (me.consoles[0] if me and me.consoles else None),
        "last_sync_at": state.last_sync_at, "library_version": state.library_version,
        "outbox_depth": box.depth, "set_aside": box.set_aside,
        "screenshots_dropped": box.dropped_screenshots,
        "problem": problems[0] if problems else None, "problems": problems}
    if args.json:
        print(json.dumps(doc))
        return 0
    print(f"Device:       {doc['device'] or 'not enrolled'}"
          f"{' (waiting for approval)' if doc['waiting_for_approval'] else ''}")
    print(f"Console:      {doc['console'] or '—'}")
    print(f"Last sync:    {doc['last_sync_at'] or 'never'}")
    print(f"Outbox:       {doc['outbox_depth']} waiting, {doc['set_aside']} set aside, "
          f"{doc['screenshots_dropped']} screenshots dropped")
    for line in doc["problems"]:
        print(f"Problem:      {line}")
    return 0


def _disk_problem(folder: Path) -> str | None:
    """A full disk is said here, from the disk itself: the agent cannot write it down."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= LOW_DISK_BYTES:
        return None
    return (f"The disk holding {folder} is full ({free // 1024} KiB free): new incidents "
            "cannot be kept until space is freed.")
