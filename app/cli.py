"""Command-line interface (DESIGN §12): argument parsing and dispatch, nothing else.

Every command takes `--data-dir`; every error is one line on stderr and a non-zero exit.
Secrets (passwords, passphrases, recovery keys) are read from files named on the command line,
never from arguments that would show up in a process list or shell history.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app import cli_agent, cli_cases, cli_devices, cli_reports, cli_retention
from app.cli_common import (
    add_common,
    data_dir,
    key_mode,
    non_negative,
    open_console,
    passphrase,
    positive,
    read_secret,
)
from app.errors import KestrelError
from app.paths import DataPaths

if TYPE_CHECKING:
    pass

log = logging.getLogger("kestrel")


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KestrelError as exc:
        print(f"kestrel: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kestrel: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Kestrel safeguarding console.")
    parser.set_defaults(handler=_cmd_gui, demo=False)
    add_common(parser)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the console (the default)")
    add_common(gui)
    _gui_options(gui)
    gui.set_defaults(handler=_cmd_gui)

    demo = sub.add_parser("demo", help="open the console on the synthetic demo school")
    add_common(demo)
    _gui_options(demo)
    demo.set_defaults(handler=_cmd_gui, demo=True)

    init = sub.add_parser("init", help="set up a school without the GUI (for IT scripts)")
    add_common(init)
    init.add_argument("--school", required=True, help="the school's name")
    init.add_argument("--dsl-user", required=True, help="user name of the first DSL")
    init.add_argument("--dsl-name", help="the DSL's full name (default: the user name)")
    init.add_argument("--password-file", required=True, type=Path,
                      help="file holding the DSL's password (first line)")
    init.add_argument("--recovery-key-out", type=Path,
                      help="write the recovery key here (owner-only) instead of printing it")
    init.set_defaults(handler=_cmd_init)

    seed = sub.add_parser("seed", help="add synthetic incidents (a fresh folder becomes the "
                                       "demo school)")
    add_common(seed)
    seed.add_argument("--incidents", type=positive, required=True)
    seed.add_argument("--screenshots", type=non_negative, default=0)
    seed.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    seed.add_argument("--workers", type=non_negative, default=None,
                      help="sealing processes (default: one per core)")
    seed.set_defaults(handler=_cmd_seed)

    verify = sub.add_parser("verify", help="check the audit chain, checkpoints and evidence")
    add_common(verify)
    verify.set_defaults(handler=_cmd_verify)

    library = sub.add_parser("library", help="the phrase library")
    add_common(library)
    library_sub = library.add_subparsers(title="library commands", metavar="ACTION")
    library_test = library_sub.add_parser(
        "test", help="read lines on stdin; print one JSON object per line with its matches")
    add_common(library_test)
    library_test.add_argument("--library", type=Path, default=None,
                              help="a library folder or one <category>.csv file "
                                   "(default: the built-in library)")
    library_test.set_defaults(handler=_cmd_library_test)
    library.set_defaults(handler=lambda _args: _usage(library))

    agent = sub.add_parser("agent", help="the device agent's tools")
    add_common(agent)
    agent_sub = agent.add_subparsers(title="agent commands", metavar="ACTION")
    scan = agent_sub.add_parser("scan-image", help="OCR a screenshot and print the words and "
                                                   "matches (with boxes) as JSON")
    add_common(scan)
    scan.add_argument("image", type=Path)
    scan.add_argument("--ocr", choices=("rapidocr", "tesseract"), default="rapidocr")
    scan.add_argument("--library", type=Path, default=None,
                      help="a library folder or one <category>.csv file")
    scan.set_defaults(handler=_cmd_scan_image)
    cli_agent.register(agent_sub)
    agent.set_defaults(handler=lambda _args: _usage(agent))

    recover = sub.add_parser("recover", help="restore access with the printed recovery key")
    add_common(recover)
    recover.add_argument("--recovery-key-file", type=Path,
                         help="file holding the recovery key (default: ask)")
    recover.set_defaults(handler=_cmd_recover)
    cli_devices.register(sub)
    cli_cases.register(sub)
    cli_reports.register(sub)
    cli_retention.register(sub)
    return parser


def _gui_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="sign in as this user (with --password-file)")
    p.add_argument("--password-file", type=Path, help="file holding the password for --user")
    p.add_argument("--no-receiver", action="store_true",
                   help="do not listen for devices (e.g. a second office PC)")
    p.add_argument("--exit-when-ready", action="store_true",
                   help="quit once the main window is ready (smoke tests)")


def _cmd_gui(args: argparse.Namespace) -> int:
    from app.ui.app import run_console  # Qt loads only for GUI commands

    password = read_secret(args.password_file, "password") if getattr(
        args, "password_file", None) else None
    root = getattr(args, "data_dir", None)
    return int(run_console(Path(root) if root else None, demo=args.demo,
                       username=getattr(args, "user", None), password=password,
                       exit_when_ready=getattr(args, "exit_when_ready", False),
                       passphrase=passphrase(args),
                       listen=not getattr(args, "no_receiver", False)))


def _cmd_init(args: argparse.Namespace) -> int:
    from app.services.install import create_install

    password = read_secret(args.password_file, "password")
    console, recovery = create_install(
        data_dir(args), args.school, args.dsl_user, args.dsl_name or args.dsl_user, password,
        key_mode=key_mode(args), passphrase=passphrase(args))
    console.close()
    if args.recovery_key_out:
        fd = os.open(args.recovery_key_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(recovery + "\n")
        print(f"Kestrel is set up in {data_dir(args)}. Recovery key written to "
              f"{args.recovery_key_out}: print it, keep it in the school safe, delete the file.")
    else:
        print(f"Kestrel is set up in {data_dir(args)}.\nRecovery key (shown once; print it "
              f"and keep it in the school safe):\n\n    {recovery}\n")
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from app.services.demo_school import create_demo_school
    from app.services.seed import seed_incidents
    from app.services.seed_cases import add_demo_cases_if_missing

    root = data_dir(args, demo=True)
    started = time.perf_counter()
    progress = _progress_printer(args.incidents)
    opened: list[str] = []  # a fresh folder's demo school opens its cases itself
    if DataPaths(root).is_initialised():
        console = open_console(args, root)
        try:
            report = seed_incidents(console, args.incidents, args.screenshots, seed=args.seed,
                                    progress=progress, workers=args.workers)
            opened = add_demo_cases_if_missing(console)
        finally:
            console.close()
        count = report.incidents
    else:
        console = create_demo_school(root, args.incidents, args.screenshots,
                                     key_mode=getattr(args, "key_mode", "auto"),
                                     passphrase=passphrase(args),
                                     progress=progress, workers=args.workers)
        console.close()
        count = args.incidents
    elapsed = time.perf_counter() - started
    print(f"\nSeeded {count} incidents into {root} in {elapsed:.1f} s "
          f"({count / elapsed:.0f} incidents/s).")
    if opened:
        print(f"Opened {len(opened)} demo cases: {', '.join(opened)}.")
    return 0


def _progress_printer(total: int) -> Callable[[int, int], None]:
    last = [0.0]

    def show(done: int, _total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 1 or done == total:
            last[0] = now
            print(f"\r  {done}/{total} incidents", end="", file=sys.stderr, flush=True)
    return show


def _cmd_verify(args: argparse.Namespace) -> int:
    from app.services.audit_log import verify_install

    console = open_console(args, data_dir(args))
    try:
        report = verify_install(console)
    finally:
        console.close()
    if report.ok:
        print(f"OK: {report.audit_events} audit events, {report.checkpoints} checkpoints and "
              f"{report.evidence_files} evidence files verified.")
        return 0
    where = f" first bad audit event: seq {report.first_bad_seq}." if report.first_bad_seq else ""
    print(f"kestrel: verification FAILED.{where}", file=sys.stderr)
    for problem in report.problems[:50]:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _cmd_library_test(args: argparse.Namespace) -> int:
    """One JSON object per input line; the library is validated before any line is read."""
    import json

    from app.detection.library import load_library
    from app.detection.matcher import Matcher
    from app.paths import RESOURCES

    matcher = Matcher.compile(load_library(args.library or RESOURCES / "phrases"))
    for number, line in enumerate(sys.stdin, start=1):
        text = line.rstrip("\r\n")
        matches = [{"category": m.category, "severity": m.severity, "phrase": m.phrase,
                    "id": m.phrase_id, "text": m.text, "start": m.start, "end": m.end}
                   for m in matcher.find(text)]
        print(json.dumps({"line": number, "matches": matches}, ensure_ascii=False),
              flush=False)
    sys.stdout.flush()
    return 0


def _cmd_scan_image(args: argparse.Namespace) -> int:
    import json

    from app.agent.scan import scan_image
    from app.detection.library import load_library
    from app.detection.matcher import Matcher
    from app.paths import RESOURCES

    matcher = Matcher.compile(load_library(args.library or RESOURCES / "phrases"))

    def find(text: str) -> list[tuple[int, int, object]]:
        return [(m.start, m.end, {"category": m.category, "severity": m.severity,
                                  "phrase": m.phrase, "id": m.phrase_id})
                for m in matcher.find(text)]

    report = scan_image(args.image, args.ocr, find)
    report["library_version"] = matcher.version
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def _cmd_recover(args: argparse.Namespace) -> int:
    from app.services.install import recover_install

    if args.recovery_key_file:
        text = read_secret(args.recovery_key_file, "recovery key")
    else:
        text = input("Type the recovery key (8 groups of 5): ")
    recover_install(data_dir(args), text, passphrase(args))
    print("Access restored: the install key is back in this computer's keyring.")
    return 0
