"""The IT technician's commands against a real `main.py serve` process on loopback: a token
bundle, a device enrolling from it, approval, listing, counts and revocation."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.net import enrol_client, tls
from app.net.client import SyncClient, SyncRefused
from app.net.receiver import DEVICE_RECHECK_S
from tests.conftest import REPO, run_main
from tests.net.kit import run

EPOCH = "0193a0b4-0000-7000-8000-000000000001"



@pytest.fixture
def served(school: list[str]) -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, str(REPO / "main.py"), "serve", *school,
                             "--host", "127.0.0.1", "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "listening on 127.0.0.1:" in line, proc.stderr.read() if proc.stderr else line
    port = int(line.split("127.0.0.1:")[1].split()[0])
    yield port
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def _as_dsl(school: list[str], tmp: Path) -> list[str]:
    return [*school, "--user", "dsl", "--password-file", str(tmp / "pw")]


def test_token_enrol_approve_list_stats_revoke(school, served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    staff = _as_dsl(school, tmp_path)
    bundle_path = tmp_path / "bundle.json"
    code, out, err = run_main("devices", "token", *staff, "--uses", "2", "--expires", "2h",
                              "--label", "ICT suite", "--console", f"127.0.0.1:{served}",
                              "--out", str(bundle_path))
    assert code == 0, err
    assert "pending approval" in out and bundle_path.stat().st_mode & 0o077 == 0
    bundle = enrol_client.read_bundle(bundle_path.read_bytes())
    key, device_uuid = Ed25519PrivateKey.generate(), str(uuid.uuid4())
    address = f"127.0.0.1:{served}"
    enrolled = run(enrol_client.enrol_with_bundle(bundle, address, key, device_uuid, "ict-01"))
    assert enrolled.state == "pending"

    code, out, err = run_main("devices", "pending", *staff, "--json")
    (waiting,) = json.loads(out)
    assert (waiting["hostname"], waiting["short_id"], waiting["via"]) == (
        "ict-01", enrolled.short_id, "token ICT suite")
    code, out, err = run_main("devices", "approve", *staff, enrolled.short_id)
    assert code == 0 and out.strip() == "ict-01: approved.", err

    approved = run(enrol_client.wait_for_approval(enrolled, address, 0))
    context = tls.client_context(approved.ca_certificate, approved.ca_pin, approved.certificate,
                                 key)

    async def hello() -> None:
        async with SyncClient(f"https://{address}", context, device_uuid) as client:
            await client.hello(EPOCH, "1.0.0", outbox_depth=3)

    run(hello())
    time.sleep(1.5)  # heartbeats are written about once a second
    code, out, err = run_main("devices", "list", *staff, "--json")
    (listed,) = json.loads(out)
    assert (listed["hostname"], listed["state"], listed["outbox_depth"]) == ("ict-01", "online", 3)
    code, out, err = run_main("stats", *staff, "--json")
    assert json.loads(out) == {"incidents": {"total": 0, "by_status": {}, "by_category": {}},
                               "devices": {"total": 1, "by_state": {"online": 1}}}

    run(hello())  # the receiver now remembers this certificate for a moment
    code, out, err = run_main("devices", "revoke", *staff, "ict-01", "--reason", "stolen")
    assert code == 0, err
    # Revoked from another process: the receiver notices within DEVICE_RECHECK_S.
    deadline = time.monotonic() + DEVICE_RECHECK_S + 1
    while True:
        try:
            run(hello())
        except SyncRefused as refused:
            assert refused.status == 403
            break
        assert time.monotonic() < deadline, "a revoked device was still served"
        time.sleep(0.2)


def test_device_commands_need_a_signed_in_user(school) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_main("devices", "list", *school)
    assert code == 1 and "--user NAME --password-file FILE" in err and err.count("\n") == 1


def test_simulate_enrols_devices_and_syncs_until_every_incident_is_acknowledged(
        school, served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    staff = _as_dsl(school, tmp_path)
    bundle = tmp_path / "sim.json"
    code, _, err = run_main("devices", "token", *staff, "--uses", "3", "--auto-approve",
                            "--console", f"127.0.0.1:{served}", "--out", str(bundle))
    assert code == 0, err
    code, out, err = run_main("simulate", "--console", f"127.0.0.1:{served}", "--enrol-bundle",
                              str(bundle), "--devices", "3", "--incidents", "8",
                              "--screenshots", "0.5")
    assert code == 0, err
    assert out.rstrip().endswith("Done: 24 acknowledged, 0 refused.")
    code, out, err = run_main("stats", *staff, "--json")
    counts = json.loads(out)
    assert counts["incidents"]["total"] == 24 and counts["devices"]["by_state"] == {"online": 3}
    code, _, err = run_main("simulate", "--console", f"127.0.0.1:{served}", "--enrol-bundle",
                            str(bundle), "--devices", "1", "--incidents", "1")
    assert code == 1 and "the enrolment token is used up" in err
