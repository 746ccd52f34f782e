"""`main.py seed --incidents 100000 --screenshots 500` completes, and nothing under the data
folder is a plaintext SQLite file or holds a pupil's name or a matched phrase in the clear."""

from __future__ import annotations

import random
from pathlib import Path

import ahocorasick
import pytest

from app.services.demo.names import make_pupils
from app.services.demo.palette import shipped_palette
from tests.conftest import PASSPHRASE, run_main

MIN_NEEDLE = 6  # shorter strings turn up by chance in 100 MB of ciphertext


def _needles() -> set[str]:
    pupils = make_pupils(random.Random(2026), 600)  # the seeder's own reference data
    names = {p.display_name for p in pupils} | {p.login for p in pupils}
    phrases = {e.pattern for e in shipped_palette().all_entries}
    return {n.lower() for n in names | phrases if len(n.encode()) >= MIN_NEEDLE}


def _scanner(needles: set[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for needle in needles:
        automaton.add_word(needle, needle)
    automaton.make_automaton()
    return automaton


def _hits(automaton: ahocorasick.Automaton, data: bytes) -> list[str]:
    # latin-1 maps bytes 1:1 to code points, so every byte offset is searchable.
    return [found for _end, found in automaton.iter(data.lower().decode("latin-1"))]


@pytest.mark.slow
def test_seeded_school_leaves_no_plaintext_at_rest(tmp_path: Path) -> None:
    root = tmp_path / "school"
    (tmp_path / "pp").write_text(PASSPHRASE)
    code, out, err = run_main("seed", "--incidents", "100000", "--screenshots", "500",
                              "--data-dir", str(root), "--key-mode", "passphrase",
                              "--passphrase-file", str(tmp_path / "pp"), timeout=1200)
    assert code == 0, err
    assert "Seeded 100000 incidents" in out

    needles = _needles()
    scanner = _scanner(needles)
    # The scanner is real: it finds a pupil's name in a plaintext buffer.
    some_name = next(iter(sorted(needles)))
    assert _hits(scanner, b"xx" + some_name.encode() + b"yy")

    files = [p for p in root.rglob("*") if p.is_file()]
    assert sum(1 for p in files if "evidence" in p.parts) == 500
    for path in files:
        data = path.read_bytes()
        assert not data.startswith(b"SQLite format 3"), path
        assert _hits(scanner, data) == [], path
