"""Ingest: store incidents that devices (or the demo seeder) send, exactly once.

Two stages. `prepare` is pure CPU and touches no database: parse the manifest, check the device
is active and the signature is its own, check every sealed blob against the hash the manifest
names. It may run in worker processes (the seeder does; so can the receiver). `store_prepared`
runs on the single writer: it classifies each item as stored, duplicate (same id, same bytes) or
conflict (same id, other bytes — a security event; the original is kept), writes sealed files to
the evidence store, then commits rows, full-text entries and the audit event in one transaction.
Items that fail `prepare` are rejected with a reason.

Threading: `ingest_batch` and `store_prepared` run on the DB executor; `prepare` anywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.content import IncidentContent
from app.domain.dto import Actor
from app.domain.enums import DeviceState, IncidentStatus
from app.domain.manifest import Manifest, decode_manifest
from app.domain.school_time import local_day_hour, month_number
from app.errors import ValidationError
from app.security.sealing import verify_manifest
from app.services.console import Console, UnitOfWork
from app.services.devices import DeviceRef
from app.services.uploads import Uploads
from db.repositories import incidents_repo, reference_repo, rollup_repo

STORED, DUPLICATE, CONFLICT, REJECTED = "stored", "duplicate", "conflict", "rejected"
MISSING_EVIDENCE = "missing evidence"  # the reason's first words, which devices act on
_ENTRY_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # a library entry's id (library.py)


@dataclass(frozen=True)
class IncomingIncident:
    """One incident as received: signed manifest, sealed content and sealed evidence files.

    `opened` is the already-known plaintext content when the sender is also the opener (the
    demo seeder); from the LAN it is None and the content stays sealed until opened."""

    manifest: bytes
    signature: bytes
    sealed_content: bytes
    blobs: tuple[bytes, ...] = ()
    opened: IncidentContent | None = None
    status: IncidentStatus = IncidentStatus.NEW
    evidence_stored: bool = False  # already in the evidence store (LAN uploads), not in blobs
    # Seeded history only (never from the LAN): when it arrived and was first looked at.
    received_at: datetime | None = None
    reviewed_at: datetime | None = None


@dataclass(frozen=True)
class Prepared:
    """An item that passed every check that needs no database."""

    item: IncomingIncident
    manifest: Manifest


@dataclass(frozen=True)
class ItemResult:
    uuid: str | None
    result: str
    reason: str = ""


@dataclass
class Refs:
    """Ids the writer needs: active devices, categories and subjects by natural key."""

    devices: dict[str, tuple[int, bytes]]  # uuid → (id, raw Ed25519 public key)
    categories: dict[str, int]
    subjects: dict[str, int]
    years: dict[int, int] = field(default_factory=dict)  # pupil id → year group, where known


def load_refs(console: Console) -> Refs:
    """Device keys, category and subject ids (cache across batches during seeding)."""
    with console.reading() as session:
        devices = {d.uuid: (d.id, bytes(d.signing_public_key))
                   for d in reference_repo.devices(session)
                   if d.state == DeviceState.ACTIVE.value}
        return Refs(devices, reference_repo.category_ids(session),
                    reference_repo.subject_ids(session), reference_repo.subject_years(session))


def ingest_batch(console: Console, actor: Actor, items: Sequence[IncomingIncident],
                 refs: Refs | None = None) -> list[ItemResult]:
    """Check and store a batch; return one result per item, in order."""
    refs = refs or load_refs(console)
    keys = {uuid: key for uuid, (_id, key) in refs.devices.items()}
    return store_prepared(console, actor, [prepare(item, keys) for item in items], refs)


def store_prepared(console: Console, actor: Actor, prepared: Sequence[Prepared | ItemResult],
                   refs: Refs) -> list[ItemResult]:
    """Store items that passed `prepare` (ItemResults from it are passed through)."""
    results: list[ItemResult] = []
    accepted: list[tuple[IncomingIncident, Manifest]] = []
    for entry in prepared:
        if isinstance(entry, ItemResult):
            results.append(entry)
            continue
        if entry.manifest.device not in refs.devices:  # revoked since it was prepared
            results.append(ItemResult(entry.manifest.uuid, REJECTED, "device is not active"))
            continue
        accepted.append((entry.item, entry.manifest))
        results.append(ItemResult(entry.manifest.uuid, STORED))
    with console.unit_of_work(actor) as uow:
        _store(uow, accepted, refs, results)
    return results


def ingest_from_device(console: Console, device: DeviceRef,
                       items: Sequence[tuple[bytes, bytes, bytes]],
                       uploads: Uploads) -> list[ItemResult]:
    """A batch from the LAN, all three stages in one call (the receiver runs them apart so the
    single DB thread does only SQL)."""
    prepared = prepare_from_device(console, device, items, uploads)
    results = store_from_device(console, device, prepared)
    discard_staged(uploads, device, prepared, results)
    return results


def prepare_from_device(console: Console, device: DeviceRef,
                        items: Sequence[tuple[bytes, bytes, bytes]],
                        uploads: Uploads) -> list[Prepared | ItemResult]:
    """Every check that needs no database, and the evidence moved into the store.

    A manifest must name the device that sent it; an item whose evidence has not arrived is
    rejected with a reason the device acts on (upload, then send again). Evidence is linked
    from the staged upload into the evidence store and made durable *before* the rows commit:
    files are write-once and named by hash, so one whose rows never commit is simply found
    there when the device sends the incident again. No database; any thread."""
    keys = {device.uuid: device.signing_key}
    checked: list[Prepared | ItemResult] = []
    for manifest, signature, content in items:
        try:
            named = decode_manifest(manifest)
        except ValidationError as exc:
            checked.append(ItemResult(None, REJECTED, str(exc)))
            continue
        if named.device != device.uuid:
            checked.append(ItemResult(named.uuid, REJECTED, "the manifest names another device"))
            continue
        checked.append(prepare(IncomingIncident(manifest, signature, content,
                                                evidence_stored=True), keys))
    staged = {ref.sha256: path for entry in checked if isinstance(entry, Prepared)
              for ref in entry.manifest.evidence
              if (path := uploads.ready_path(device.uuid, ref.sha256)) is not None}
    bad = console.evidence.adopt_all([(path, sha) for sha, path in staged.items()])
    return [_with_evidence(console, entry, bad) for entry in checked]


def _with_evidence(console: Console, entry: Prepared | ItemResult,
                   bad: set[str]) -> Prepared | ItemResult:
    """The entry, or a rejection naming the first evidence file not (intact) in the store."""
    if isinstance(entry, ItemResult):
        return entry
    for ref in entry.manifest.evidence:
        if ref.sha256 in bad or not console.evidence.path_for(ref.sha256).exists():
            return ItemResult(entry.manifest.uuid, REJECTED,
                              f"{MISSING_EVIDENCE} {ref.sha256}: upload it first")
    return entry


def store_from_device(console: Console, device: DeviceRef,
                      prepared: Sequence[Prepared | ItemResult]) -> list[ItemResult]:
    """The rows, audit event and commit: the DB executor's part."""
    logins = sorted({e.manifest.subject for e in prepared
                     if isinstance(e, Prepared) and e.manifest.subject})
    with console.reading() as session:  # only this batch's pupils, not the whole school's
        refs = Refs({device.uuid: (device.id, device.signing_key)},
                    reference_repo.category_ids(session),
                    reference_repo.subject_ids(session, logins),
                    reference_repo.subject_years(session, logins))
    return store_prepared(console, Actor(name=f"device:{device.uuid}"), prepared, refs)


def discard_staged(uploads: Uploads, device: DeviceRef, prepared: Sequence[Prepared | ItemResult],
                   results: Sequence[ItemResult]) -> None:
    """Remove the staged uploads of stored and duplicate items, once they have committed."""
    done = {r.uuid for r in results if r.result in (STORED, DUPLICATE)}
    uploads.discard(device.uuid, [ref.sha256 for entry in prepared if isinstance(entry, Prepared)
                                  and entry.manifest.uuid in done
                                  for ref in entry.manifest.evidence])


_KEY_CACHE: dict[bytes, Ed25519PublicKey] = {}


def prepare(item: IncomingIncident, device_keys: dict[str, bytes]) -> Prepared | ItemResult:
    """Every check that needs no database; a rejected item comes back as an ItemResult."""
    try:
        return Prepared(item, _check(item, device_keys))
    except ValidationError as exc:
        return ItemResult(None, REJECTED, str(exc))


def _check(item: IncomingIncident, device_keys: dict[str, bytes]) -> Manifest:
    manifest = decode_manifest(item.manifest)
    raw_key = device_keys.get(manifest.device)
    if raw_key is None:
        raise ValidationError("device is not enrolled or not active")
    key = _KEY_CACHE.get(raw_key)
    if key is None:
        key = _KEY_CACHE.setdefault(raw_key, Ed25519PublicKey.from_public_bytes(raw_key))
    if not verify_manifest(key, item.manifest, item.signature):
        raise ValidationError("signature does not match the device key")
    if hashlib.sha256(item.sealed_content).hexdigest() != manifest.content_sha256:
        raise ValidationError("sealed content does not match content_sha256")
    named = sorted(e.sha256 for e in manifest.evidence)
    if not item.evidence_stored and \
            sorted(hashlib.sha256(b).hexdigest() for b in item.blobs) != named:
        raise ValidationError("evidence files do not match the manifest")
    return manifest


def _store(uow: UnitOfWork, accepted: list[tuple[IncomingIncident, Manifest]], refs: Refs,
           results: list[ItemResult]) -> None:
    session = uow.session
    known = incidents_repo.existing_uuids(session, [m.uuid for _, m in accepted])
    fresh: list[tuple[IncomingIncident, Manifest]] = []
    for item, manifest in accepted:
        if manifest.uuid in known:
            original = incidents_repo.manifest_for(session, known[manifest.uuid])
            same = original is not None and bytes(original.manifest) == item.manifest
            _set(results, manifest.uuid, DUPLICATE if same else CONFLICT)
            if not same:
                uow.audit("incident.conflict", f"incident:{manifest.uuid}",
                          device=manifest.device, note="same id, different bytes; kept original")
        else:
            known[manifest.uuid] = -1  # a second copy inside this batch is a duplicate
            fresh.append((item, manifest))
    _add_new_pupils(session, fresh, refs)
    rows = _rows(uow, fresh, refs, incidents_repo.next_id(session))
    incidents_repo.insert_many(session, *rows)
    if fresh:
        rollup_repo.add_range(session, rows[0][0]["id"], rows[0][-1]["id"])
    uow.audit("incidents.ingest", "incidents", stored=len(fresh),
              devices=len({m.device for _, m in fresh}))


def _add_new_pupils(session: Any, fresh: list[tuple[IncomingIncident, Manifest]],
                    refs: Refs) -> None:
    """A login no device has reported before becomes a pupil record (named by the login until
    the MIS import names it), so the incident is never detached from its pupil."""
    new = sorted({m.subject for _, m in fresh if m.subject and m.subject not in refs.subjects})
    if new:
        reference_repo.insert_subjects(session, [{"login": s, "display_name": s} for s in new])
        refs.subjects.update(reference_repo.subject_ids(session, new))


def match_rows(incident_id: int, content: IncidentContent) -> list[dict[str, Any]]:
    """The `matches` rows of an incident's opened content (the opener writes them too)."""
    return [{"incident_id": incident_id,
             "phrase_key": span.phrase if _ENTRY_KEY.fullmatch(span.phrase) else None,
             "matched_text": span.text[:500], "start": span.start, "end": span.end,
             "boxes": json.dumps([list(b) for b in span.boxes])} for span in content.matches]


def _set(results: list[ItemResult], uuid: str, outcome: str) -> None:
    for i, r in enumerate(results):
        if r.uuid == uuid and r.result == STORED:
            results[i] = ItemResult(uuid, outcome)
            return


def _rows(uow: UnitOfWork, fresh: list[tuple[IncomingIncident, Manifest]], refs: Refs,
          first_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                  list[dict[str, Any]], list[dict[str, Any]]]:
    now = uow.console.clock()
    incidents: list[dict[str, Any]] = []
    manifests: list[dict[str, Any]] = []
    matches: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for offset, (item, m) in enumerate(fresh):
        incident_id = first_id + offset
        for blob in item.blobs:
            uow.console.evidence.put(blob)
        content = item.opened
        subject_id = refs.subjects.get(m.subject or "")
        local_day, local_hour = local_day_hour(m.captured_at)
        received = item.received_at or now
        reviewed = item.reviewed_at
        incidents.append({
            "id": incident_id, "uuid": m.uuid, "device_id": refs.devices[m.device][0],
            "sequence": m.seq, "subject_id": subject_id,
            "captured_at": m.captured_at, "received_at": received, "source": m.source.value,
            "category_id": refs.categories[m.category], "severity": m.severity,
            "status": item.status.value, "assignee_id": None,
            "app": content.app if content else None,
            "window_title": content.window_title if content else None,
            "url": content.url if content else None,
            "context_text": content.context if content else None,
            "matched_text": content.first_match if content else None,
            "library_version": m.library_version, "signature_status": "valid",
            "has_screenshot": bool(m.evidence), "content_sealed": content is None,
            "local_day": local_day, "local_hour": local_hour,
            "local_month": month_number(local_day),
            "year_group": refs.years.get(subject_id) if subject_id is not None else None,
            "first_reviewed_at": reviewed,
            "review_delay_s": None if reviewed is None
            else max(0, int((reviewed - received).total_seconds()))})
        manifests.append({"incident_id": incident_id, "manifest": item.manifest,
                          "signature": item.signature, "sealed_content": item.sealed_content})
        if content is not None:
            matches.extend(match_rows(incident_id, content))
        restricted = CATEGORY_BY_KEY[m.category].restricted_imagery
        for ref in m.evidence:
            evidence.append({"incident_id": incident_id, "kind": ref.kind.value,
                             "sealed_sha256": ref.sha256, "plaintext_sha256": ref.plaintext_sha256,
                             "size": ref.size, "width": ref.width, "height": ref.height,
                             "media_type": ref.media_type, "verification": "verified",
                             "restricted": restricted, "created_at": now})
    return incidents, manifests, matches, evidence
