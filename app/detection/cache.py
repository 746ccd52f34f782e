"""A compiled-library cache, so an agent starts matching in milliseconds, not a compile.

The cache is keyed by the SHA-256 of the library files themselves, so any edit misses it. Each
cached automaton file's hash is recorded in the cache's own manifest and checked before the
file is handed to pyahocorasick's C loader: a damaged cache is rebuilt, never trusted. No
pickle: automata store integers, everything else is JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import ahocorasick

from app.detection.library import Library, PhraseEntry, load_library
from app.detection.matcher import Matcher

FORMAT = 1
_AUTOMATA = ("words", "plain_words", "embedded", "allow")


def library_digest(path: Path) -> str:
    """SHA-256 over every library file's name and bytes (one file, or a folder's files)."""
    digest = hashlib.sha256(f"kestrel-library-cache/{FORMAT}".encode())
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def load_compiled(path: Path, cache_dir: Path) -> Matcher:
    """The compiled library at `path`, from the cache when it is there and intact."""
    folder = cache_dir / library_digest(path)
    try:
        return _read(folder)
    except (OSError, ValueError, KeyError, TypeError):
        shutil.rmtree(folder, ignore_errors=True)  # missing or damaged: build it again
    matcher = Matcher.compile(load_library(path))
    with contextlib.suppress(OSError):  # a read-only profile still matches, only slower
        _write(matcher, folder)
    return matcher


def _write(matcher: Matcher, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".building-"))
    try:
        parts = matcher.parts()
        hashes = {}
        for name in _AUTOMATA:
            automaton = parts["automata"][name]
            if automaton is not None:
                automaton.save(str(staging / f"{name}.bin"))
                hashes[name] = _sha(staging / f"{name}.bin")
        library: Library = parts["library"]
        meta = {"format": FORMAT, "version": library.version,
                "entries": [asdict(e) for e in library.entries], "allow": list(library.allow),
                "groups": {n: parts["groups"][n] for n in _AUTOMATA},
                "allow_keys": parts["allow_keys"], "hashes": hashes}
        (staging / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        if not folder.exists():
            os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _read(folder: Path) -> Matcher:
    meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta["format"] != FORMAT:
        raise ValueError("old cache format")
    automata: dict[str, Any] = {}
    for name in _AUTOMATA:
        file = folder / f"{name}.bin"
        if name not in meta["hashes"]:
            automata[name] = None
            continue
        if _sha(file) != meta["hashes"][name]:
            raise ValueError(f"cached {name} automaton is damaged")
        automata[name] = ahocorasick.load(str(file), _refuse)
    entries = tuple(PhraseEntry(**{**e, "exceptions": tuple(e["exceptions"])})
                    for e in meta["entries"])
    library = Library(meta["version"], entries, tuple(meta["allow"]))
    groups = {n: tuple((int(length), tuple(members)) for length, members in meta["groups"][n])
              for n in _AUTOMATA}
    return Matcher.from_parts(library, automata, groups, tuple(meta["allow_keys"]))


def _refuse(_data: bytes) -> object:
    raise ValueError("a cached automaton must store integers only")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
