"""Evidence uploads in progress: resumable, per device, checked against their hash.

A device uploads each sealed evidence file before the batch that names it
(`PUT /v1/blobs/{sha256}` with `Upload-Offset`). Bytes land in `incoming/<device>/<sha>.part`;
`HEAD` reports how many arrived, so a broken upload resumes where it stopped. When the declared
length is reached the file must hash to its name, and only then becomes `<sha>.blob`, ready for
ingest. Ingest moves it into the evidence store in the same step that commits the incident, and
the staged copy is removed afterwards.

What a device holds here is counted in memory (a ledger per device, read from disk the first
time the device is seen after a start), so checking its limits costs nothing per upload.

Threading: file work only, no database; safe from any thread, one upload per (device, hash) at a
time (the receiver serialises them); the ledgers are behind one lock.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import ValidationError

_SHA = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-f-]{36}$")
MAX_OPEN_UPLOADS = 64  # unfinished uploads one device may leave lying around
MAX_STAGED_BYTES = 512 * 1024 * 1024  # evidence one device may hold here before its batches
PART, DONE, GONE = "part", "done", "gone"  # what became of a staged file


class UploadError(ValidationError):
    """The upload cannot go on as asked; `offset` is where the console has it."""

    def __init__(self, message: str, offset: int = 0, status: int = 400) -> None:
        super().__init__(message)
        self.offset, self.status = offset, status


@dataclass(frozen=True)
class UploadState:
    received: int
    complete: bool


@dataclass
class _Held:
    """One device's staged files: bytes per hash, and which are unfinished."""

    sizes: dict[str, int] = field(default_factory=dict)
    unfinished: set[str] = field(default_factory=set)


class Uploads:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root, self.max_bytes = root, max_bytes
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}

    def state(self, device_uuid: str, sha256: str) -> UploadState:
        done, part = self._paths(device_uuid, sha256)
        if done.exists():
            return UploadState(done.stat().st_size, True)
        return UploadState(part.stat().st_size if part.exists() else 0, False)

    def open_part(self, device_uuid: str, sha256: str, offset: int, length: int) -> PartWriter:
        """Start or resume writing at `offset` of a file that will be `length` bytes long."""
        if not 0 < length <= self.max_bytes:
            raise UploadError(f"Upload-Length must be 1 to {self.max_bytes} bytes", status=413
                              if length > self.max_bytes else 400)
        state = self.state(device_uuid, sha256)
        if state.complete:
            raise UploadError("this file is already uploaded", state.received, status=409)
        if offset != state.received:
            raise UploadError(f"the upload is at {state.received} bytes, not {offset}",
                              state.received, status=409)
        done, part = self._paths(device_uuid, sha256)
        self.root.mkdir(mode=0o700, exist_ok=True)  # staged evidence is sealed, but private
        part.parent.mkdir(mode=0o700, exist_ok=True)
        with self._lock:
            held = self._ledger(device_uuid, part.parent)
            if offset == 0:
                if len(held.unfinished - {sha256}) >= MAX_OPEN_UPLOADS:
                    raise UploadError("too many unfinished uploads; finish or abandon some "
                                      "first", status=429)
                if sum(held.sizes.values()) - held.sizes.get(sha256, 0) + length \
                        > MAX_STAGED_BYTES:
                    raise UploadError("too much evidence is waiting for its batch; send the "
                                      "batch first", status=429)
            held.unfinished.add(sha256)
            held.sizes.setdefault(sha256, offset)
        return PartWriter(part, done, sha256, offset, length,
                          lambda at, state: self._settle(device_uuid, sha256, at, state))

    def receive(self, device_uuid: str, sha256: str, offset: int, length: int,
                body: bytes) -> tuple[bool, int]:
        """A request body that arrived whole: open, write and finish in one step (one trip to
        a file thread instead of three). Returns (complete, bytes held)."""
        writer = self.open_part(device_uuid, sha256, offset, length)
        try:
            writer.write(body)
        except BaseException:
            writer.abort()
            raise
        return writer.finish(), writer.position

    def ready_path(self, device_uuid: str, sha256: str) -> Path | None:
        """The finished, hash-checked upload of `sha256`, if there is one."""
        done, _ = self._paths(device_uuid, sha256)
        return done if done.exists() else None

    def discard(self, device_uuid: str, sha256s: list[str]) -> None:
        for sha in sha256s:
            for path in self._paths(device_uuid, sha):
                path.unlink(missing_ok=True)
            self._settle(device_uuid, sha, 0, GONE)

    def _ledger(self, device_uuid: str, folder: Path) -> _Held:
        """The device's ledger (call with the lock held), read from its folder the first
        time."""
        held = self._held.get(device_uuid)
        if held is None:
            held = self._held[device_uuid] = _Held()
            with os.scandir(folder) as entries:
                for entry in entries:
                    sha, _, kind = entry.name.partition(".")
                    held.sizes[sha] = held.sizes.get(sha, 0) + entry.stat().st_size
                    if kind == "part":
                        held.unfinished.add(sha)
        return held

    def _settle(self, device_uuid: str, sha256: str, position: int, state: str) -> None:
        with self._lock:
            held = self._held.get(device_uuid)
            if held is None:
                return
            if state == GONE:
                held.sizes.pop(sha256, None)
                held.unfinished.discard(sha256)
                return
            held.sizes[sha256] = position
            if state == DONE:
                held.unfinished.discard(sha256)

    def _paths(self, device_uuid: str, sha256: str) -> tuple[Path, Path]:
        if not _SHA.fullmatch(sha256) or not _UUID.fullmatch(device_uuid):
            raise UploadError("a blob is named by the SHA-256 (hex, lower case) of its bytes")
        folder = self.root / device_uuid
        return folder / f"{sha256}.blob", folder / f"{sha256}.part"

class PartWriter:
    """Appends one request's bytes; `finish` says whether the file is now complete."""

    def __init__(self, part: Path, done: Path, sha256: str, offset: int, length: int,
                 settle: Callable[[int, str], None] = lambda _at, _state: None) -> None:
        self._part, self._done, self._sha, self._settle = part, done, sha256, settle
        self.position, self.length = offset, length
        self._digest = hashlib.sha256()  # as the bytes arrive: no second read to check them
        self._file = open(part, "ab")  # noqa: SIM115 (closed in finish/abort)
        if offset:
            with open(part, "rb") as held:
                for block in iter(lambda: held.read(1 << 20), b""):
                    self._digest.update(block)

    def write(self, chunk: bytes) -> None:
        if self.position + len(chunk) > self.length:
            self.abort()
            raise UploadError("more bytes than Upload-Length", status=413)
        self._file.write(chunk)
        self._digest.update(chunk)
        self.position += len(chunk)

    def finish(self) -> bool:
        """Close what arrived; when complete, check the hash and make the file ready.

        Not fsynced here: a staged file is made durable (and hashed again) when the batch that
        names it is stored (EvidenceStore.adopt_all), many files at once — one fsync per upload
        would cap a device at the disk's serial fsync rate. A staged file lost in a power cut
        is simply uploaded again: HEAD tells the device what the console holds."""
        self._file.flush()
        self._file.close()
        if self.position < self.length:
            self._settle(self.position, PART)
            return False
        if self._digest.hexdigest() != self._sha:
            self._part.unlink(missing_ok=True)
            self._settle(0, GONE)
            raise UploadError("the uploaded bytes do not hash to the name; upload again",
                              status=422)
        os.replace(self._part, self._done)
        self._settle(self.position, DONE)
        return True

    def abort(self) -> None:
        """Keep what arrived (a resumed upload continues from it)."""
        if not self._file.closed:
            self._file.flush()
            self._file.close()
        self._settle(self.position, PART)
