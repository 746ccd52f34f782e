"""The compiled-library cache: same answers as a fresh compile, any library edit misses it,
and a damaged cache file is rebuilt rather than trusted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from app.detection import cache
from app.detection.library import load_library
from app.detection.matcher import Matcher
from app.paths import RESOURCES

SENTENCES = ["i want to kill myself tonight", "k y s", "s3nd n00dz", "cocktail in Scunthorpe",
             "don't tell your parents", "what a l0ser"]


def _library_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RESOURCES / "phrases", tmp_path / "phrases"))


def test_cached_matcher_answers_exactly_like_a_fresh_compile(tmp_path: Path) -> None:
    folder = _library_copy(tmp_path)
    fresh = Matcher.compile(load_library(folder))
    first = cache.load_compiled(folder, tmp_path / "cache")   # builds the cache
    second = cache.load_compiled(folder, tmp_path / "cache")  # reads it
    assert len(list((tmp_path / "cache").iterdir())) == 1
    for sentence in SENTENCES:
        assert second.find(sentence) == first.find(sentence) == fresh.find(sentence)
    assert second.version == fresh.version


def test_editing_the_library_misses_the_cache(tmp_path: Path) -> None:
    folder = _library_copy(tmp_path)
    cache.load_compiled(folder, tmp_path / "cache")
    with open(folder / "bullying.csv", "a", encoding="utf-8") as handle:
        handle.write("bu-9999,tofu tyrant,phrase,2,en,whole,,Test entry.\n")
    edited = cache.load_compiled(folder, tmp_path / "cache")
    assert [m.phrase_id for m in edited.find("you tofu tyrant")] == ["bu-9999"]
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_a_damaged_cache_file_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    folder = _library_copy(tmp_path)
    cache.load_compiled(folder, tmp_path / "cache")
    (built,) = (tmp_path / "cache").iterdir()
    words = built / "words.bin"
    data = bytearray(words.read_bytes())
    data[len(data) // 2] ^= 0xFF
    words.write_bytes(bytes(data))
    matcher = cache.load_compiled(folder, tmp_path / "cache")
    assert [m.category for m in matcher.find("i want to kill myself")] == ["suicide"]
    assert cache._sha(words) == json.loads(
        (built / "meta.json").read_text())["hashes"]["words"]  # rebuilt, intact again
