"""Writing a file so that a crash or a full disk never leaves half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from app.errors import ValidationError


def write_atomically(path: Path, data: bytes) -> None:
    """The whole file or none of it, owner-only: write beside the target, fsync, rename over.
    Refusals (no such folder, no permission, disk full) raise a sentence naming the file."""
    path = Path(path)
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise ValidationError(f"Cannot write to {path.parent}: {exc.strerror}.") from None
    try:
        with os.fdopen(fd, "wb") as out:  # mkstemp makes it 0600
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ValidationError(f"Cannot write {path.name}: {exc.strerror}.") from None
