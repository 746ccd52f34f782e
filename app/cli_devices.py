"""Commands for the IT technician (DESIGN §12): the receiver, enrolment, devices and counts.

`serve` runs the sync receiver without the GUI. `devices ...` and `stats` act as a signed-in
staff member (`--user`, `--password-file`), so the audit log names who did what.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from app.cli_common import add_common, add_sign_in, as_staff, data_dir, open_console, positive
from app.errors import ValidationError

if TYPE_CHECKING:
    from app.services.console import Console
    from app.services.users import UserSession

T = TypeVar("T")
DEFAULT_PORT = 8443
_DURATION = re.compile(r"^(\d{1,4})([mhd])$")


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the sync receiver without the GUI")
    add_common(serve)
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default all)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.set_defaults(handler=_cmd_serve)

    simulate = sub.add_parser("simulate", help="run virtual devices that enrol and sync "
                                               "synthetic incidents (demos, load tests)")
    simulate.add_argument("--console", required=True, metavar="HOST:PORT")
    simulate.add_argument("--enrol-bundle", type=Path, required=True,
                          help="an enrolment bundle (an auto-approving token, or approve "
                               "the devices in the console within two minutes)")
    simulate.add_argument("--devices", type=positive, default=3)
    simulate.add_argument("--incidents", type=positive, default=10, help="per device")
    simulate.add_argument("--rate", type=float, default=None,
                          help="incidents per second per device (default: all at once)")
    simulate.add_argument("--screenshots", type=float, default=0.3,
                          help="share of incidents with a screenshot, 0 to 1 (default 0.3)")
    simulate.add_argument("--seed", type=int, default=1)
    simulate.set_defaults(handler=_cmd_simulate)

    stats = sub.add_parser("stats", help="counts of incidents and devices (no content)")
    add_common(stats)
    add_sign_in(stats)
    stats.add_argument("--json", action="store_true", help="print JSON (the only format)")
    stats.set_defaults(handler=_cmd_stats)

    devices = sub.add_parser("devices", help="enrol, list, approve and revoke devices")
    add_common(devices)
    actions = devices.add_subparsers(title="devices commands", metavar="ACTION")
    token = _action(actions, "token", "make an enrolment token and write its bundle file")
    token.add_argument("--uses", type=positive, required=True, help="how many devices")
    token.add_argument("--expires", type=_duration, default=timedelta(days=14),
                       help="lifetime such as 30m, 12h or 14d (default 14d)")
    token.add_argument("--auto-approve", action="store_true",
                       help="admit devices at once instead of listing them as pending")
    token.add_argument("--label", default="", help="what the token is for, e.g. 'Year 7 iPads'")
    token.add_argument("--console", action="append", required=True, metavar="HOST:PORT",
                       help="an address devices reach the console at (repeat for more)")
    token.add_argument("--out", type=Path, required=True, help="the bundle file to write")
    token.set_defaults(handler=_cmd_token)
    _action(actions, "code", "make a typed code for one device (15 minutes)").set_defaults(
        handler=_cmd_code)
    listing = _action(actions, "list", "list enrolled devices")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_cmd_list)
    pending = _action(actions, "pending", "list devices waiting for approval")
    pending.add_argument("--json", action="store_true")
    pending.set_defaults(handler=_cmd_pending)
    for name, what in (("approve", "admit"), ("ignore", "turn away")):
        decide = _action(actions, name, f"{what} a waiting device (request id or short id)")
        decide.add_argument("id")
        decide.set_defaults(handler=_cmd_decide, decision=name)
    revoke = _action(actions, "revoke", "stop a device syncing (id, UUID or host name)")
    revoke.add_argument("id")
    revoke.add_argument("--reason", default="")
    revoke.set_defaults(handler=_cmd_revoke)
    devices.set_defaults(handler=lambda _a: (devices.print_usage(), 2)[1])


def _action(actions: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
    add_common(parser)
    add_sign_in(parser)
    return parser


def _duration(text: str) -> timedelta:
    found = _DURATION.fullmatch(text.strip())
    if not found:
        raise argparse.ArgumentTypeError("use a number and m, h or d, such as 14d")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[found.group(2)]
    return timedelta(**{unit: int(found.group(1))})


def _cmd_serve(args: argparse.Namespace) -> int:
    from app.net.discovery import announce
    from app.net.server import ReceiverServer
    from app.services import devices
    from app.services.executor import DbExecutor

    if not 0 <= args.port <= 65535:
        raise ValidationError("The port must be 0 to 65535.")
    console = open_console(args, data_dir(args))
    executor = DbExecutor()
    server = ReceiverServer(console, executor, args.host, args.port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    announcer = None
    try:
        port = server.start()
        print(f"Kestrel receiver listening on {args.host}:{port} "
              f"(CA pin {devices.ca_pin(console)[:16]}…). Ctrl+C stops it.", flush=True)
        announcer = announce(port, devices.ca_pin(console), args.host)
        stop.wait()
    finally:
        if announcer is not None:
            announcer.close()
        server.stop()
        executor.shutdown()
        console.close()
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    import asyncio

    from app.net import enrol_client, simulator
    from app.net.client import SyncRefused

    if args.rate is not None and not 0 < args.rate <= 100:
        raise ValidationError("--rate is incidents per second per device, above 0 and up to 100.")
    if not 0 <= args.screenshots <= 1:
        raise ValidationError("--screenshots is a share from 0 to 1.")
    try:
        raw = args.enrol_bundle.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {args.enrol_bundle} ({exc.strerror}).") from None
    bundle = enrol_client.read_bundle(raw)

    def report(p: simulator.Progress) -> None:
        print(f"\r{p.acknowledged:,}/{p.total:,} incidents acknowledged "
              f"({p.enrolled} devices enrolled)", end="", flush=True)

    try:
        progress = asyncio.run(simulator.simulate(
            bundle, args.console, args.devices, args.incidents, args.rate, args.screenshots,
            args.seed, on_progress=report))
    except SyncRefused as refusal:
        raise ValidationError(f"The console refused: {refusal.reason}") from None
    print(f"\nDone: {progress.acknowledged:,} acknowledged, {progress.set_aside} refused.")
    return 0 if progress.set_aside == 0 else 1


def _cmd_stats(args: argparse.Namespace) -> int:
    from app.services import stats

    print(json.dumps(as_staff(args, stats.summary), sort_keys=True))
    return 0


def _cmd_token(args: argparse.Namespace) -> int:
    from app.services import enrolment

    info = as_staff(args, lambda console, session: enrolment.save_token_bundle(
        console, session, args.uses, args.expires, args.auto_approve, args.label, args.console,
        args.out))
    print(f"Token {info.token_id}: {info.max_uses} device(s) until "
          f"{info.expires_at:%Y-%m-%d %H:%M} UTC, "
          f"{'admitted at once' if info.auto_approve else 'pending approval'}. "
          f"Bundle written to {args.out} — keep it like a password.")
    return 0


def _cmd_code(args: argparse.Namespace) -> int:
    from app.services import enrolment

    code, expires = as_staff(args, enrolment.create_code)
    print(f"{code}\nType it on the device within 15 minutes (until {expires:%H:%M} UTC).")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from app.services import devices

    views = as_staff(args, devices.list_devices)
    if args.json:
        print(json.dumps([{"id": v.id, "uuid": v.uuid, "hostname": v.hostname,
                           "state": v.state, "agent_version": v.agent_version,
                           "outbox_depth": v.outbox_depth, "clock_skew_s": v.clock_skew_s,
                           "last_seen_at": v.last_seen_at.isoformat() if v.last_seen_at
                           else None} for v in views]))
        return 0
    for v in views:
        seen = f"{v.last_seen_at:%Y-%m-%d %H:%M}" if v.last_seen_at else "never"
        print(f"{v.id:>5}  {v.hostname:<28} {v.state:<8} last seen {seen}  "
              f"outbox {v.outbox_depth if v.outbox_depth is not None else '-'}")
    return 0


def _cmd_pending(args: argparse.Namespace) -> int:
    from app.services import enrolment

    waiting = as_staff(args, enrolment.pending_devices)
    if args.json:
        print(json.dumps([{"request_id": p.request_id, "hostname": p.hostname,
                           "short_id": p.short_id, "via": p.via,
                           "known_hostname": p.known_hostname,
                           "requested_at": p.requested_at.isoformat()} for p in waiting]))
        return 0
    for p in waiting:
        again = "  (host name already enrolled)" if p.known_hostname else ""
        print(f"{p.short_id}  {p.hostname:<28} via {p.via}  {p.request_id}{again}")
    return 0


def _cmd_decide(args: argparse.Namespace) -> int:
    from app.services import enrolment

    def decide(console: Console, session: UserSession) -> str:
        matches = [p for p in enrolment.pending_devices(console, session)
                   if args.id.upper() in (p.request_id.upper(), p.short_id)]
        if len(matches) != 1:
            raise ValidationError(f"No single waiting device has the id {args.id!r}.")
        act = enrolment.approve if args.decision == "approve" else enrolment.ignore
        act(console, session, matches[0].request_id)
        return matches[0].hostname

    hostname = as_staff(args, decide)
    print(f"{hostname}: {'approved' if args.decision == 'approve' else 'ignored'}.")
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    from app.services import devices

    def revoke(console: Console, session: UserSession) -> str:
        device = devices.find_device(console, session, args.id)
        devices.revoke_device(console, session, device.id, args.reason)
        return device.hostname

    print(f"{as_staff(args, revoke)}: revoked. Its next request will be refused.")
    return 0
