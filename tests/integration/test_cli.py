"""The command line: every error is one line and a non-zero exit; help works everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DSL_PASSWORD, PASSPHRASE, run_main


@pytest.mark.parametrize("command", ["", "demo", "init", "seed", "verify", "recover", "serve",
                                     "stats", "devices"])
def test_every_command_has_help_and_data_dir(command: str) -> None:
    code, out, _ = run_main(*([command] if command else []), "--help")
    assert code == 0
    assert "--data-dir" in out


def test_init_then_verify_in_passphrase_mode(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(DSL_PASSWORD + "\n")
    (tmp_path / "pp").write_text(PASSPHRASE + "\n")
    root = str(tmp_path / "school")
    common = ["--data-dir", root, "--key-mode", "passphrase",
              "--passphrase-file", str(tmp_path / "pp")]
    code, out, err = run_main("init", *common, "--school", "Hilltop", "--dsl-user", "dsl",
                              "--password-file", str(tmp_path / "pw"),
                              "--recovery-key-out", str(tmp_path / "recovery.txt"))
    assert code == 0, err
    assert (tmp_path / "recovery.txt").stat().st_mode & 0o077 == 0
    code, out, err = run_main("verify", *common)
    assert code == 0, err
    assert out.startswith("OK:")
    code, _, err = run_main("init", *common, "--school", "Hilltop", "--dsl-user", "dsl",
                            "--password-file", str(tmp_path / "pw"))
    assert code == 1 and "already holds a Kestrel install" in err and err.count("\n") == 1


def test_short_password_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("short\n")
    code, _, err = run_main("init", "--data-dir", str(tmp_path / "s"), "--school", "X",
                            "--dsl-user", "dsl", "--password-file", str(tmp_path / "pw"))
    assert code == 1 and "at least 10 characters" in err and err.count("\n") == 1


def test_missing_install_and_missing_secret_file_are_one_line_errors(tmp_path: Path) -> None:
    code, _, err = run_main("verify", "--data-dir", str(tmp_path / "nothing"))
    assert code == 1 and "no Kestrel install" in err and err.count("\n") == 1
    code, _, err = run_main("init", "--data-dir", str(tmp_path / "s"), "--school", "X",
                            "--dsl-user", "dsl", "--password-file", str(tmp_path / "missing"))
    assert code == 1 and "Cannot read the password file" in err and err.count("\n") == 1
