"""The install key in the real OS keyring (Secret Service in CI), its allow-list, and the
recovery key that restores access when the keyring entry is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import KeyUnavailableError
from app.security import keyring_store
from app.services.install import create_install, open_install, recover_install
from app.services.users import login
from tests.conftest import DSL_PASSWORD, run_main


@pytest.mark.keyring
def test_keyring_install_reopens_and_survives_losing_the_keyring_entry(
        tmp_path: Path, real_keyring: None) -> None:
    root = tmp_path / "school"
    console, recovery = create_install(root, "Keyring School", "dsl", "Dana Lead", DSL_PASSWORD)
    install_id = console.settings.install_id
    console.close()
    try:
        open_install(root).close()
        keyring_store.delete_install_key(install_id)
        with pytest.raises(KeyUnavailableError, match="recovery key"):
            open_install(root)
        recover_install(root, recovery.lower().replace("-", " "))
        reopened = open_install(root)
        assert login(reopened, "dsl", DSL_PASSWORD).evidence_key() is not None
        reopened.close()
    finally:
        keyring_store.delete_install_key(install_id)


@pytest.mark.keyring
def test_keyring_install_writes_no_install_key_beside_the_data(tmp_path: Path,
                                                               real_keyring: None) -> None:
    root = tmp_path / "school"
    console, _ = create_install(root, "Keyring School", "dsl", "Dana Lead", DSL_PASSWORD)
    install_id = console.settings.install_id
    key = keyring_store.load_install_key(install_id)
    console.close()
    try:
        for path in root.rglob("*"):
            if path.is_file():
                assert key not in path.read_bytes()
    finally:
        keyring_store.delete_install_key(install_id)


def test_plaintext_keyring_backend_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text(DSL_PASSWORD)
    code, _out, err = run_main(
        "init", "--data-dir", str(tmp_path / "school"), "--school", "Test", "--dsl-user", "dsl",
        "--password-file", str(password),
        env={"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"})
    assert code == 1
    assert err.count("\n") == 1, err  # one line, no traceback
    assert "PlaintextKeyring" in err and "passphrase mode" in err
    assert not (tmp_path / "school").exists()  # nothing half-made left behind


def test_passphrase_mode_needs_the_right_passphrase(install) -> None:  # type: ignore[no-untyped-def]
    root = install.paths.root
    with pytest.raises(KeyUnavailableError):
        open_install(root, "a wrong passphrase")
    with pytest.raises(KeyUnavailableError, match="passphrase"):
        open_install(root)


def test_recovery_key_replaces_a_forgotten_passphrase(install) -> None:  # type: ignore[no-untyped-def]
    root = install.paths.root
    install.close()
    recover_install(root, install.recovery_key, new_passphrase="a brand new passphrase")
    open_install(root, "a brand new passphrase").close()
