"""Every JSON body a device may send, validated in one place (DESIGN §7).

Bytes from the LAN are hostile until this module says otherwise: the body must be UTF-8 JSON
within the size limit, an object with exactly the fields named here (unknown fields are refused,
so a typo or an attack never passes silently), each of the right type and range. Binary fields
are standard base64 and decoded here. Any failure raises `ProtocolError` whose message is the
reason returned to the device with a 400.

Pure functions; the receiver calls them on its event loop (they are fast and bounded).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.errors import ValidationError
from app.services.enrolment import EnrolAsk

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$")
MAX_MANIFEST = 64 * 1024
MAX_CONTENT = 512 * 1024
MAX_COUNT = 1_000_000_000
MAX_CSR = 4096
_HOSTNAME = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
_TOKEN = re.compile(r"^[0-9a-f]{16}$")
_CODE = re.compile(r"^[0-9A-Z]{4}$")


class ProtocolError(ValidationError):
    """A request a device must not send; the message says why (returned with a 400)."""


@dataclass(frozen=True)
class Hello:
    device: str
    agent_version: str
    sent_at: datetime
    epoch: str
    outbox_depth: int
    screenshots_dropped: int
    library_version: str | None


@dataclass(frozen=True)
class BatchItem:
    manifest: bytes
    signature: bytes
    content: bytes


@dataclass(frozen=True)
class Batch:
    epoch: str
    items: tuple[BatchItem, ...]


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProtocolError("the body is not UTF-8") from None
    except RecursionError:
        raise ProtocolError("the JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"the body is not valid JSON ({exc.msg})") from None
    except ValueError:  # e.g. an integer of more digits than Python will parse
        raise ProtocolError("the body is not valid JSON") from None


def parse_hello(doc: Any) -> Hello:
    f = _fields(doc, "hello", required={"device", "agent_version", "sent_at", "epoch",
                                          "outbox_depth", "screenshots_dropped"},
                optional={"library_version"})
    library = f.get("library_version")
    return Hello(_uuid(f["device"], "device"), _version(f["agent_version"], "agent_version"),
                 _time(f["sent_at"], "sent_at"), _uuid(f["epoch"], "epoch"),
                 _count(f["outbox_depth"], "outbox_depth"),
                 _count(f["screenshots_dropped"], "screenshots_dropped"),
                 None if library is None else _version(library, "library_version"))


def parse_batch(doc: Any, max_batch: int) -> Batch:
    f = _fields(doc, "batch", required={"epoch", "items"})
    items = f["items"]
    if not isinstance(items, list):
        raise ProtocolError("items must be a list")
    if not 1 <= len(items) <= max_batch:
        raise ProtocolError(f"a batch holds 1 to {max_batch} items, not {len(items)}")
    return Batch(_uuid(f["epoch"], "epoch"),
                 tuple(_item(item, n) for n, item in enumerate(items)))


def parse_enrol(doc: Any) -> EnrolAsk:
    f = _fields(doc, "enrol", required={"device", "hostname", "csr", "nonce", "proof"},
                optional={"token_id", "code_id"})
    nonce, proof = _b64(f["nonce"], "nonce", 32), _b64(f["proof"], "proof", 32)
    if len(nonce) != 32 or len(proof) != 32:
        raise ProtocolError("nonce and proof must be 32 bytes each")
    token, code = f.get("token_id"), f.get("code_id")
    if (token is None) == (code is None):
        raise ProtocolError("name either token_id or code_id")
    return EnrolAsk(
        device_uuid=_uuid(f["device"], "device"),
        hostname=_text(f["hostname"], "hostname", _HOSTNAME,
                       "a host name of 1-255 printable characters"),
        csr=_b64(f["csr"], "csr", MAX_CSR), nonce=nonce, proof=proof,
        token_id=None if token is None else _text(token, "token_id", _TOKEN, "16 hex digits"),
        code_id=None if code is None else _text(code, "code_id", _CODE, "4 letters and digits"))


def _item(doc: Any, n: int) -> BatchItem:
    where = f"items[{n}]"
    f = _fields(doc, where, required={"manifest", "signature", "content"})
    signature = _b64(f["signature"], f"{where}.signature", 64)
    if len(signature) != 64:
        raise ProtocolError(f"{where}.signature must be 64 bytes (Ed25519)")
    return BatchItem(_b64(f["manifest"], f"{where}.manifest", MAX_MANIFEST), signature,
                     _b64(f["content"], f"{where}.content", MAX_CONTENT))


def _fields(doc: Any, where: str, required: set[str],
            optional: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ProtocolError(f"{where} must be a JSON object")
    unknown = sorted(set(doc) - required - set(optional))
    if unknown:
        raise ProtocolError(f"{where} has an unknown field {unknown[0][:40]!r}")
    missing = sorted(required - set(doc))
    if missing:
        raise ProtocolError(f"{where} lacks the field {missing[0]!r}")
    return doc


def _typed(value: Any, name: str, kind: type, check: Callable[[Any], bool], what: str) -> Any:
    # bool is an int in Python; a device sending true for a count is wrong, not 1.
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool) or \
            not check(value):
        raise ProtocolError(f"{name} must be {what}")
    return value


def _text(value: Any, name: str, pattern: re.Pattern[str], what: str) -> str:
    return str(_typed(value, name, str, lambda v: bool(pattern.fullmatch(v)), what))


def _uuid(value: Any, name: str) -> str:
    return _text(value, name, _UUID, "a lower-case UUID")


def _version(value: Any, name: str) -> str:
    return _text(value, name, _VERSION, "a short version string")


def _count(value: Any, name: str) -> int:
    return int(_typed(value, name, int, lambda v: 0 <= v <= MAX_COUNT,
                      f"a whole number from 0 to {MAX_COUNT}"))


def _time(value: Any, name: str) -> datetime:
    text = _typed(value, name, str, lambda v: len(v) <= 40, "an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ProtocolError(f"{name} must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ProtocolError(f"{name} must carry a time zone")
    return moment


def _b64(value: Any, name: str, limit: int) -> bytes:
    text = _typed(value, name, str, lambda v: len(v) <= (limit + 2) // 3 * 4,
                  f"base64 of at most {limit} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(f"{name} is not valid base64") from None
