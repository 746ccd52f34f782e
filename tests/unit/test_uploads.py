"""Evidence uploads staged per device: resumable, hash-checked, and bounded per device."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from app.services import uploads as uploads_module
from app.services.uploads import UploadError, Uploads

DEVICE = "0193a0b4-0000-7000-8000-0000000000d1"


def blob(n: int, size: int = 1000) -> tuple[str, bytes]:
    data = n.to_bytes(4, "big") + os.urandom(size - 4)
    return hashlib.sha256(data).hexdigest(), data


def test_a_whole_body_lands_ready_and_a_split_one_resumes(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path / "incoming", 10_000)
    sha, data = blob(1)
    assert uploads.receive(DEVICE, sha, 0, len(data), data[:400]) == (False, 400)
    assert uploads.state(DEVICE, sha).received == 400
    with pytest.raises(UploadError) as wrong_offset:
        uploads.receive(DEVICE, sha, 0, len(data), data)
    assert wrong_offset.value.status == 409 and wrong_offset.value.offset == 400
    assert uploads.receive(DEVICE, sha, 400, len(data), data[400:]) == (True, len(data))
    ready = uploads.ready_path(DEVICE, sha)
    assert ready is not None and ready.read_bytes() == data


def test_bytes_that_do_not_hash_to_the_name_are_refused_and_dropped(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path / "incoming", 10_000)
    sha, data = blob(2)
    with pytest.raises(UploadError) as refused:
        uploads.receive(DEVICE, sha, 0, len(data), data[:-1] + b"\0")
    assert refused.value.status == 422
    assert uploads.state(DEVICE, sha).received == 0 and uploads.ready_path(DEVICE, sha) is None


def test_too_many_unfinished_uploads_are_refused_until_one_is_discarded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads_module, "MAX_OPEN_UPLOADS", 3)
    uploads = Uploads(tmp_path / "incoming", 10_000)
    halves = [blob(n) for n in range(4)]
    for sha, data in halves[:3]:
        uploads.receive(DEVICE, sha, 0, len(data), data[:10])
    with pytest.raises(UploadError) as refused:
        uploads.receive(DEVICE, halves[3][0], 0, 1000, halves[3][1][:10])
    assert refused.value.status == 429 and "unfinished" in str(refused.value)
    uploads.discard(DEVICE, [halves[0][0]])
    assert uploads.receive(DEVICE, halves[3][0], 0, 1000, halves[3][1][:10]) == (False, 10)


def test_staged_bytes_are_bounded_and_counted_from_disk_after_a_restart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads_module, "MAX_STAGED_BYTES", 2_500)
    first = Uploads(tmp_path / "incoming", 10_000)
    (a, data_a), (b, data_b), (c, data_c) = blob(10), blob(11), blob(12)
    first.receive(DEVICE, a, 0, 1000, data_a)
    first.receive(DEVICE, b, 0, 1000, data_b)
    # A new process (the console restarted) reads what is already held from the folder.
    again = Uploads(tmp_path / "incoming", 10_000)
    with pytest.raises(UploadError) as refused:
        again.receive(DEVICE, c, 0, 1000, data_c)
    assert refused.value.status == 429 and "batch" in str(refused.value)
    again.discard(DEVICE, [a])
    assert again.receive(DEVICE, c, 0, 1000, data_c) == (True, 1000)
    # Another device has its own allowance.
    other = "0193a0b4-0000-7000-8000-0000000000d2"
    assert again.receive(other, a, 0, 1000, data_a) == (True, 1000)


def test_staged_folders_are_private(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path / "incoming", 10_000)
    sha, data = blob(3)
    uploads.receive(DEVICE, sha, 0, len(data), data)
    assert (tmp_path / "incoming").stat().st_mode & 0o077 == 0
    assert (tmp_path / "incoming" / DEVICE).stat().st_mode & 0o077 == 0
