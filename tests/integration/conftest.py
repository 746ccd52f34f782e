"""Fixtures for the command-line integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DSL_PASSWORD, PASSPHRASE, run_main


@pytest.fixture
def school(tmp_path: Path) -> list[str]:
    """A school set up by `main.py init` in passphrase mode; returns the common options
    (`--data-dir … --key-mode passphrase --passphrase-file …`). The DSL's password file is
    `tmp_path / "pw"`."""
    (tmp_path / "pw").write_text(DSL_PASSWORD + "\n")
    (tmp_path / "pp").write_text(PASSPHRASE + "\n")
    common = ["--data-dir", str(tmp_path / "school"), "--key-mode", "passphrase",
              "--passphrase-file", str(tmp_path / "pp")]
    code, _, err = run_main("init", *common, "--school", "Hilltop", "--dsl-user", "dsl",
                            "--password-file", str(tmp_path / "pw"),
                            "--recovery-key-out", str(tmp_path / "recovery.txt"))
    assert code == 0, err
    return common


@pytest.fixture
def demo_folder(tmp_path: Path) -> tuple[list[str], list[str]]:
    """A private demo school (150 incidents, its five cases) in passphrase mode; returns the
    common options and the demo DSL's sign-in options. Other demo staff sign in with the same
    password file (`tmp_path / "pw"`)."""
    from app.services.demo_school import DEMO_PASSWORD, create_demo_school

    console = create_demo_school(tmp_path / "demo", incidents=150, screenshots=12,
                                 key_mode="passphrase", passphrase=PASSPHRASE, workers=1)
    console.close()
    (tmp_path / "pp").write_text(PASSPHRASE + "\n")
    (tmp_path / "pw").write_text(DEMO_PASSWORD + "\n")
    common = ["--data-dir", str(tmp_path / "demo"), "--key-mode", "passphrase",
              "--passphrase-file", str(tmp_path / "pp")]
    return common, ["--user", "dsl", "--password-file", str(tmp_path / "pw")]
