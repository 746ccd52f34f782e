"""Reading the audit log (the Audit screen) and verifying the whole chain (`main.py verify`).

Verification needs no one signed in: it checks hashes and signatures with public keys, and the
sealed evidence files against their recorded hashes, without decrypting anything.
"""

from __future__ import annotations

from app.domain.dto import AuditEntry, VerifyReport
from app.errors import ValidationError
from app.security.authorisation import Permission
from app.services import audit
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import audit_repo, evidence_repo


def recent_events(console: Console, session: UserSession, limit: int = 200,
                  before_seq: int | None = None, actor: str | None = None,
                  action_prefix: str | None = None,
                  target: str | None = None) -> list[AuditEntry]:
    """Newest first, optionally only one person's, one kind of act's, or one record's."""
    session.require(Permission.VIEW_AUDIT)
    if not 1 <= limit <= 5000:
        raise ValidationError("Show 1 to 5,000 audit events at a time.")
    actor, target = _clean(actor, 100), _clean(target, 200)
    with console.reading() as db:
        return [AuditEntry(e.seq, e.ts, e.actor, e.action, e.target, e.details)
                for e in audit_repo.recent(db, limit, before_seq, actor=actor,
                                           action_prefix=_clean(action_prefix, 64),
                                           target=target)]


def _clean(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()[:limit]
    return value or None


def verify_install(console: Console) -> VerifyReport:
    """Check the chain, every checkpoint, the anchor file and every evidence file."""
    problems: list[str] = []
    public = console.keys.audit_public_key
    first_bad: int | None = None
    anchor = audit.read_anchor(console.paths.audit_anchor)
    with console.reading() as db:
        checkpoints = audit_repo.checkpoints(db)
        wanted = {cp.seq for cp in checkpoints} | ({anchor[0]} if anchor else set())
        prev, count, chain = audit.GENESIS, 0, {}
        for ev in audit_repo.iter_events(db):
            count += 1
            expected_seq = count
            digest = audit.event_hash(prev, ev.seq, ev.ts, ev.actor, ev.action, ev.target,
                                      ev.details)
            if first_bad is None and (ev.seq != expected_seq or ev.prev_hash != prev
                                      or ev.hash != digest):
                first_bad = ev.seq if ev.seq == expected_seq else expected_seq
                problems.append(f"audit event {first_bad} does not match the chain "
                                "(altered, inserted or removed)")
            if ev.seq in wanted:
                chain[ev.seq] = ev.hash
            prev = ev.hash
        last_seq = count
        for cp in checkpoints:
            if not audit.verify_signature(public, cp.seq, cp.hash, cp.signature):
                problems.append(f"checkpoint at event {cp.seq} has a bad signature")
            elif cp.seq > last_seq:
                problems.append(f"the audit log ends at event {last_seq} but a checkpoint "
                                f"vouches for event {cp.seq}: events were removed")
                first_bad = first_bad or last_seq + 1
            elif chain.get(cp.seq) != cp.hash:
                problems.append(f"checkpoint at event {cp.seq} does not match the log")
                first_bad = first_bad or cp.seq
        evidence = 0
        for _eid, sha in evidence_repo.iter_hashes(db):
            evidence += 1
            trouble = console.evidence.check(sha)
            if trouble:
                problems.append(trouble)
    if anchor is not None:
        seq, digest, signature = anchor
        if seq < 0 or not audit.verify_signature(public, seq, digest, signature):
            problems.append("the audit anchor file is unreadable or its signature is bad")
        elif seq > last_seq:
            problems.append(f"the audit log ends at event {last_seq} but the anchor file "
                            f"vouches for event {seq}: events were removed")
            first_bad = first_bad or last_seq + 1
        elif chain.get(seq) != digest:
            problems.append(f"the anchor file does not match audit event {seq}")
    return VerifyReport(not problems, count, len(checkpoints), evidence, tuple(problems),
                        first_bad)
