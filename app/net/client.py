"""The sync client: what a device (the agent, or a simulated one) says to the console.

One `SyncClient` per device and console address, over a TLS context that trusts only the pinned
school CA and presents the device certificate (`tls.client_context`). It speaks the endpoints of
DESIGN §7 and turns every refusal into `SyncRefused` with the console's reason and Retry-After,
so the caller's loop can decide: back off, upload missing evidence, or give up on an item.

Evidence uploads resume: `HEAD` says how much the console has, `PUT` sends the rest.

Threading: asyncio; one event loop owns a client.
"""

from __future__ import annotations

import base64
import json
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from app.net.limits import Limits

CONNECT_TIMEOUT_S = 10
TOTAL_TIMEOUT_S = 120
KEEPALIVE_S = 15.0  # aiohttp's default for an idle connection


class SyncRefused(Exception):
    """The console answered with an error status (or could not be reached: status 0)."""

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status}: {reason}")
        self.status, self.reason, self.retry_after = status, reason, retry_after

    @property
    def retryable(self) -> bool:
        """Worth trying again later (busy, rate-limited, unreachable, ours to resume)."""
        return self.status in (0, 408, 409, 425, 429, 500, 502, 503, 504)


@dataclass(frozen=True)
class OutgoingIncident:
    manifest: bytes
    signature: bytes
    content: bytes
    blobs: tuple[tuple[str, bytes], ...] = ()  # (sha256, sealed bytes) the manifest names


@dataclass(frozen=True)
class HelloReply:
    time: datetime
    limits: Limits
    evidence_public_key: bytes
    library_version: str
    commands: tuple[Any, ...]
    policy: dict[str, Any]  # validated by the agent (app.services.agent_policy.policy_from_doc)
    library: dict[str, Any] | None  # the library in force, when this device had another


class SyncClient:
    """`keepalive_s`: how long an idle connection is kept for the next request (aiohttp's own
    default unless told); requests in that time reuse it instead of a new TLS handshake."""

    def __init__(self, base_url: str, context: ssl.SSLContext, device_uuid: str,
                 keepalive_s: float = KEEPALIVE_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.device_uuid = device_uuid
        self._context = context
        self._keepalive_s = keepalive_s
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SyncClient:
        connector = aiohttp.TCPConnector(ssl=self._context, limit=4,
                                         keepalive_timeout=self._keepalive_s)
        timeout = aiohttp.ClientTimeout(total=TOTAL_TIMEOUT_S, sock_connect=CONNECT_TIMEOUT_S)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def hello(self, epoch: str, agent_version: str, outbox_depth: int = 0,
                    screenshots_dropped: int = 0,
                    library_version: str | None = None) -> HelloReply:
        doc: dict[str, Any] = {"device": self.device_uuid, "agent_version": agent_version,
                               "sent_at": datetime.now(UTC).isoformat(), "epoch": epoch,
                               "outbox_depth": outbox_depth,
                               "screenshots_dropped": screenshots_dropped}
        if library_version is not None:
            doc["library_version"] = library_version
        reply = await self._json("POST", "/v1/hello", doc)
        fields = set(Limits.__dataclass_fields__)
        return HelloReply(datetime.fromisoformat(reply["time"]),
                          Limits(**{k: v for k, v in reply["limits"].items() if k in fields}),
                          base64.b64decode(reply["evidence_public_key"]),
                          str(reply["library_version"]), tuple(reply.get("commands", ())),
                          dict(reply.get("policy") or {}), reply.get("library"))

    async def send_batch(self, epoch: str,
                         incidents: list[OutgoingIncident]) -> list[dict[str, str]]:
        """One result per incident, in order: stored | duplicate | conflict | rejected."""
        doc = {"epoch": epoch, "items": [
            {"manifest": _b64(i.manifest), "signature": _b64(i.signature),
             "content": _b64(i.content)} for i in incidents]}
        reply = await self._json("POST", "/v1/incidents:batch", doc)
        return list(reply["results"])

    async def upload_blob(self, sha256: str, data: bytes) -> None:
        """Send one sealed evidence file. The first try assumes the console has none of it
        (one request); if it has some (409), ask how much and send the rest."""
        try:
            await self._put_from(sha256, data, 0)
        except SyncRefused as refusal:
            if refusal.status != 409:
                raise
            offset = await self.blob_offset(sha256)
            if offset is not None:
                await self._put_from(sha256, data, offset)

    async def _put_from(self, sha256: str, data: bytes, offset: int) -> None:
        headers = {"Upload-Offset": str(offset), "Upload-Length": str(len(data)),
                   "Content-Type": "application/octet-stream"}
        await self._request("PUT", f"/v1/blobs/{sha256}", data=data[offset:], headers=headers)

    async def blob_offset(self, sha256: str) -> int | None:
        """How many bytes of the file the console holds; None once it has all of them."""
        response = await self._request("HEAD", f"/v1/blobs/{sha256}")
        if response.get("Upload-Complete") == "?1":
            return None
        return int(response.get("Upload-Offset", "0"))

    async def _json(self, method: str, path: str, doc: Any) -> Any:
        body = json.dumps(doc, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        return await self._request(method, path, data=body, headers=headers, want_json=True)

    async def _request(self, method: str, path: str, data: bytes | None = None,
                       headers: dict[str, str] | None = None, want_json: bool = False) -> Any:
        if self._session is None:
            raise RuntimeError("use SyncClient as `async with`")
        try:
            async with self._session.request(method, self.base_url + path, data=data,
                                             headers=headers) as response:
                payload = await response.read()
                if response.status >= 400:
                    raise SyncRefused(response.status, _reason(payload),
                                      _retry_after(response.headers.get("Retry-After")))
                if want_json:
                    return json.loads(payload)
                return dict(response.headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise SyncRefused(0, f"the console could not be reached ({type(exc).__name__})"
                              ) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _reason(payload: bytes) -> str:
    try:
        return str(json.loads(payload)["error"])[:500]
    except (ValueError, KeyError, TypeError):
        return payload[:200].decode("utf-8", "replace")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, min(float(value), 3600.0)) if value else None
    except ValueError:
        return None
