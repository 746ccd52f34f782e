"""The audit chain: hashing, checkpoints and verification (DESIGN §10).

Each event's hash covers the previous hash and the event's own fields in a canonical form, so
changing, inserting or removing any row breaks the chain from that row on. After each
transaction a checkpoint signed with the install's audit key records the last sequence number
and hash, in the database and in an anchor file beside it: removing the newest rows (and their
checkpoint) is caught because the anchor says the chain once went further.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from app.security.primitives import b64d, b64e
from db.repositories import audit_repo
from db.types import to_micros

GENESIS = "0" * 64


@dataclass(frozen=True)
class PendingEvent:
    ts: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


def event_hash(prev_hash: str, seq: int, ts: datetime, actor: str, action: str, target: str,
               details: str) -> str:
    canonical = json.dumps([seq, to_micros(ts), actor, action, target, details],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(prev_hash.encode() + canonical.encode("utf-8")).hexdigest()


def checkpoint_message(seq: int, chain_hash: str) -> bytes:
    return f"kestrel-audit-checkpoint/v1/{seq}/{chain_hash}".encode()


def write_events(session: Session, events: list[PendingEvent],
                 signing_key: Ed25519PrivateKey) -> tuple[int, str, bytes] | None:
    """Append events and a signed checkpoint inside the caller's transaction.

    Returns (seq, hash, signature) of the checkpoint, for the anchor file after commit."""
    if not events:
        return None
    last = audit_repo.last_event(session)
    seq, prev = last if last else (0, GENESIS)
    rows = []
    for ev in events:
        seq += 1
        details = json.dumps(ev.details, ensure_ascii=False, sort_keys=True,
                             separators=(",", ":"), default=str)
        digest = event_hash(prev, seq, ev.ts, ev.actor, ev.action, ev.target, details)
        rows.append({"seq": seq, "ts": ev.ts, "actor": ev.actor, "action": ev.action,
                     "target": ev.target, "details": details, "prev_hash": prev,
                     "hash": digest})
        prev = digest
    audit_repo.insert_events(session, rows)
    signature = signing_key.sign(checkpoint_message(seq, prev))
    audit_repo.insert_checkpoint(session, seq, prev, events[-1].ts, signature)
    return seq, prev, signature


def write_anchor(path: Path, seq: int, chain_hash: str, signature: bytes) -> None:
    """Record the newest checkpoint outside the database (best effort, after commit)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"seq": seq, "hash": chain_hash, "signature": b64e(signature)}),
                   encoding="utf-8")
    tmp.replace(path)


def read_anchor(path: Path) -> tuple[int, str, bytes] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return int(doc["seq"]), str(doc["hash"]), b64d(doc["signature"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return (-1, "", b"")  # unreadable anchor: reported by verify


def verify_signature(public_key: Ed25519PublicKey, seq: int, chain_hash: str,
                     signature: bytes) -> bool:
    try:
        public_key.verify(signature, checkpoint_message(seq, chain_hash))
    except InvalidSignature:
        return False
    return True
