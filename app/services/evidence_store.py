"""The sealed evidence store: content-addressed, write-once files.

A sealed file is self-contained: `KSEAL1`, the length of the HPKE-wrapped data key, the wrapped
key, then nonce‖ciphertext. Its name is the SHA-256 of its bytes, so a file that changes no
longer matches its name and `verify` finds it. Files are written to a temporary name, flushed to
disk and linked into place; an existing file is never replaced. Plaintext never touches disk.
"""

from __future__ import annotations

import hashlib
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.errors import IntegrityError, NotFoundError
from app.security.sealing import Sealed

_MAGIC = b"KSEAL1"


def pack(sealed: Sealed) -> bytes:
    return _MAGIC + struct.pack(">H", len(sealed.wrapped_key)) + sealed.wrapped_key \
        + sealed.ciphertext


def unpack(blob: bytes) -> Sealed:
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 2:
        raise IntegrityError("An evidence file is not a Kestrel sealed file.")
    (size,) = struct.unpack(">H", blob[len(_MAGIC):len(_MAGIC) + 2])
    start = len(_MAGIC) + 2
    return Sealed(blob[start:start + size], blob[start + size:])


class EvidenceStore:
    """Sealed files under one folder, named by hash. Thread-safe: files are immutable."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFoundError("That evidence reference is not a SHA-256 hash.")
        return self.root / sha256[:2] / sha256

    def put(self, blob: bytes) -> str:
        """Store bytes once; return their SHA-256. Storing the same bytes again is a no-op."""
        sha = hashlib.sha256(blob).hexdigest()
        target = self.path_for(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, target)  # fails if another writer got there first: never overwrite
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        fsync_folder(target.parent)  # the new name survives a power cut, not just the bytes
        return sha

    def adopt_all(self, staged: list[tuple[Path, str]]) -> set[str]:
        """Take in finished uploads (path, sha256): each is hashed again and fsynced (in
        parallel, so the disk groups the flushes), linked under its name, and each folder that
        gained a name is fsynced once. Returns the hashes whose file did not match (removed:
        the device uploads it again)."""
        checked = list(_POOL.map(lambda item: _durable_if_intact(*item), staged))
        bad = {sha for (path, sha), ok in zip(staged, checked, strict=True) if not ok}
        folders = {self.adopt(path, sha) for path, sha in staged if sha not in bad}
        list(_POOL.map(fsync_folder, folders))
        return bad

    def adopt(self, staged: Path, sha256: str) -> Path:
        """Take in a staged upload that was already hash-checked and fsynced under its name
        (app.services.uploads): a hard link, not a second copy and a second fsync. Returns
        the folder whose new entry the caller makes durable (`fsync_folder`, once per folder
        per batch). Across filesystems it falls back to `put`."""
        target = self.path_for(sha256)
        if target.exists():
            return target.parent
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(staged, target)
        except FileExistsError:
            pass
        except OSError:
            self.put(staged.read_bytes())
        return target.parent

    def get(self, sha256: str) -> bytes:
        """Read a sealed file and check it still hashes to its name."""
        try:
            blob = self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFoundError("The sealed evidence file is missing from the evidence "
                                "folder.") from None
        if hashlib.sha256(blob).hexdigest() != sha256:
            raise IntegrityError(f"Evidence file {sha256[:12]}… no longer matches its hash: "
                                 "it has been altered or damaged.")
        return blob

    def check(self, sha256: str) -> str | None:
        """None if the file is present and intact, else a sentence saying what is wrong."""
        try:
            self.get(sha256)
        except (NotFoundError, IntegrityError) as exc:
            return str(exc)
        return None


def fsync_folder(folder: Path) -> None:
    """Make a folder's new entries durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kestrel-evidence")


def _durable_if_intact(path: Path, sha256: str) -> bool:
    """Whether `path` still hashes to `sha256`; if so it is fsynced, else removed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
        if digest.hexdigest() == sha256:
            os.fsync(handle.fileno())
            return True
    path.unlink(missing_ok=True)
    return False
