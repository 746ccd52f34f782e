"""Every limit of the sync protocol in one object (DESIGN §7); `hello` hands it to devices."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_json_bytes: int = 1 * MiB  # counted while streaming, not trusted from Content-Length
    max_blob_bytes: int = 16 * MiB
    max_batch: int = 50
    device_rate_per_s: float = 10.0  # hellos, batches and enrolments per second per device
    device_burst: int = 40  # (evidence uploads are bounded by upload slots and staging size)
    upload_concurrency: int = 32  # batches and blob uploads in flight, all devices together
    retry_after_s: int = 5
    request_timeout_s: int = 60
    hello_interval_s: int = 60

    def for_devices(self) -> dict[str, Any]:
        """What hello returns: the limits a device must respect."""
        return asdict(self)
