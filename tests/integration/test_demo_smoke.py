"""The real `main.py demo`, offscreen: it builds the demo school, signs in, shows the main
window with the first page of incidents, prints KESTREL READY and exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.security import keyring_store
from app.services.demo_school import DEMO_PASSWORD
from tests.conftest import run_main


@pytest.mark.slow
def test_main_demo_opens_the_console_offscreen_and_quits_cleanly(tmp_path: Path) -> None:
    """Uses the OS keyring where there is a trusted one (CI), else the demo's passphrase."""
    root = tmp_path / "demo"
    (tmp_path / "pw").write_text(DEMO_PASSWORD)
    try:
        code, out, err = run_main("demo", "--data-dir", str(root), "--user", "dsl",
                                  "--password-file", str(tmp_path / "pw"), "--exit-when-ready",
                                  env={"QT_QPA_PLATFORM": "offscreen"}, timeout=300)
        assert code == 0, err
        assert "KESTREL READY" in out
        # Second start: the demo already exists, so it opens straight away.
        code, out, err = run_main("demo", "--data-dir", str(root), "--user", "dsl",
                                  "--password-file", str(tmp_path / "pw"), "--exit-when-ready",
                                  env={"QT_QPA_PLATFORM": "offscreen"}, timeout=120)
        assert code == 0 and "KESTREL READY" in out, err
    finally:
        settings = root / "settings.json"
        doc = json.loads(settings.read_text()) if settings.exists() else {}
        if doc.get("key_mode") == "keyring":
            keyring_store.delete_install_key(doc["install_id"])
