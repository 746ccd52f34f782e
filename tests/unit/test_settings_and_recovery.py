"""Config files and typed-in recovery keys are hostile until validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import ConfigError, ValidationError
from app.security.recovery import (
    format_recovery_key,
    groups,
    new_recovery_key,
    parse_recovery_key,
)
from app.settings import Settings, load_settings, save_settings


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    original = Settings(school_name="Hilltop School", key_mode="passphrase")
    save_settings(path, original)
    assert load_settings(path) == original


@pytest.mark.parametrize(("field", "value", "named"), [
    ("key_mode", "plaintext", "key_mode"),
    ("idle_lock_minutes", 0, "idle_lock_minutes"),
    ("idle_lock_minutes", True, "idle_lock_minutes"),
    ("database_url", "mysql://x", "database_url"),
    ("school_name", "", "school_name"),
    ("install_id", "../../etc", "install_id"),
])
def test_a_bad_setting_is_named_in_the_error(tmp_path: Path, field: str, value: object,
                                             named: str) -> None:
    path = tmp_path / "settings.json"
    save_settings(path, Settings(school_name="Hilltop School"))
    doc = json.loads(path.read_text())
    doc[field] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=named):
        load_settings(path)


def test_a_garbled_settings_file_gives_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xff\xfe{not json")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(path)


def test_recovery_key_survives_sloppy_typing() -> None:
    raw = new_recovery_key()
    shown = format_recovery_key(raw)
    assert len(groups(shown)) == 8 and all(len(g) == 5 for g in groups(shown))
    sloppy = " ".join(groups(shown)).lower()
    assert parse_recovery_key(sloppy) == raw


@pytest.mark.parametrize("typed", ["", "ABCDE-FGHIJ", "11111-11111-11111-11111-11111-11111-"
                                   "11111-11111"])
def test_malformed_recovery_key_is_refused_with_a_reason(typed: str) -> None:
    with pytest.raises(ValidationError):
        parse_recovery_key(typed)
