"""The installed Kestrel version, printed in every report (its package metadata)."""

from __future__ import annotations

from importlib import metadata


def software_version() -> str:
    try:
        return metadata.version("kestrel")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"
