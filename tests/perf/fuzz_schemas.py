"""fuzz: hypothesis against `app/net/schemas.py`, the only code that reads device JSON.

Properties, each over thousands of generated examples:
- random bytes through `load_json`, and random JSON-like documents (and random mutations of
  valid ones: a field dropped, added, retyped, or a string with a trailing newline) through
  `parse_hello`, `parse_batch` and `parse_enrol`, may only parse or raise `ProtocolError` —
  any other exception is a failure (the receiver would answer 503 instead of 400);
- valid documents built by a strategy, sent as bytes, must parse and give back what was sent;
- whatever parses must really be valid: every text field it returns matches its pattern in
  full (no trailing newline sneaking past a `$` anchor), counts in range, times zoned.

Failures are collected rather than raised, so the figure counts every bad example; the first
few are printed. Examples run must reach 10,000 at small scale.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.net import schemas
from app.net.schemas import ProtocolError, load_json, parse_batch, parse_enrol, parse_hello
from tests.perf.common import Figure

# examples per property: random bytes, random documents, mutated documents, each valid kind
EXAMPLES = {"small": (3_500, 2_000, 2_500, 1_000), "full": (20_000, 10_000, 10_000, 5_000)}
MAX_BATCH = 50
SHOW = 8

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
VERSION = r"[0-9A-Za-z][0-9A-Za-z._+-]{0,31}"
STRICT = {"uuid": re.compile(UUID), "version": re.compile(VERSION),
          "hostname": re.compile(r"[^\x00-\x1f\x7f]{1,255}"), "token": re.compile(r"[0-9a-f]{16}"),
          "code": re.compile(r"[0-9A-Z]{4}")}
PARSERS: dict[str, Callable[[Any], Any]] = {
    "hello": parse_hello, "batch": lambda doc: parse_batch(doc, MAX_BATCH), "enrol": parse_enrol}


@dataclass
class Tally:
    examples: int = 0
    crashes: list[str] = field(default_factory=list)  # an exception other than ProtocolError
    refused_valid: list[str] = field(default_factory=list)  # a valid document did not parse
    accepted_invalid: list[str] = field(default_factory=list)  # parsed, but is not valid

    def call(self, what: str, fn: Callable[[Any], Any], value: Any) -> Any:
        try:
            return fn(value)
        except ProtocolError:
            return None
        except Exception as exc:  # the property: nothing but ProtocolError escapes
            self.crashes.append(f"{what}: {type(exc).__name__}: {exc} ← {_short(value)}")
            return None


# --- strategies ------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


uuids = st.uuids().map(str)
versions = st.from_regex(VERSION, fullmatch=True)
zones = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
times = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=zones | st.just(UTC))
counts = st.integers(0, schemas.MAX_COUNT)
printable = st.characters(blacklist_categories=("Cc", "Cs"))

hellos = st.fixed_dictionaries(
    {"device": uuids, "agent_version": versions, "sent_at": times.map(datetime.isoformat),
     "epoch": uuids, "outbox_depth": counts, "screenshots_dropped": counts},
    optional={"library_version": versions})
items = st.fixed_dictionaries({"manifest": st.binary(max_size=300).map(_b64),
                               "signature": st.binary(min_size=64, max_size=64).map(_b64),
                               "content": st.binary(max_size=300).map(_b64)})
batches = st.fixed_dictionaries({"epoch": uuids, "items": st.lists(items, min_size=1,
                                                                      max_size=MAX_BATCH)})
enrols = st.fixed_dictionaries(
    {"device": uuids, "hostname": st.text(printable, min_size=1, max_size=255),
     "csr": st.binary(max_size=600).map(_b64),
     "nonce": st.binary(min_size=32, max_size=32).map(_b64),
     "proof": st.binary(min_size=32, max_size=32).map(_b64)}
).flatmap(lambda doc: st.one_of(
    st.from_regex(STRICT["token"], fullmatch=True).map(lambda t: {**doc, "token_id": t}),
    st.from_regex(STRICT["code"], fullmatch=True).map(lambda c: {**doc, "code_id": c})))
VALID: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "hello": hellos, "batch": batches, "enrol": enrols}

FIELD_NAMES = sorted({"device", "agent_version", "sent_at", "epoch", "outbox_depth",
                      "screenshots_dropped", "library_version", "items", "manifest",
                      "signature", "content", "hostname", "csr", "nonce", "proof", "token_id",
                      "code_id"})
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
           | st.floats() | st.text(max_size=60) | uuids | versions | st.just("")
           | st.binary(max_size=80).map(_b64) | times.map(datetime.isoformat))
json_docs = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=6)
    | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), inner, max_size=8),
    max_leaves=20)
junk_text = st.sampled_from(["\n", "\r\n", " ", "\x00", "\t", "\u2028", "=", "==", "Z", "é"])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid document of some kind with one thing changed (perhaps harmlessly)."""
    kind = draw(st.sampled_from(sorted(VALID)))
    doc = dict(draw(VALID[kind]))
    if kind == "batch" and draw(st.booleans()):  # reach into an item instead
        doc["items"] = list(doc["items"])
        at = draw(st.integers(0, len(doc["items"]) - 1))
        doc["items"][at] = _mutate(draw, dict(doc["items"][at]))
        return kind, doc
    return kind, _mutate(draw, doc)


def _mutate(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    key = draw(st.sampled_from(sorted(doc)))
    how = draw(st.sampled_from(["drop", "add", "retype", "suffix", "prefix", "wrap"]))
    if how == "drop":
        del doc[key]
    elif how == "add":
        doc[draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=8))] = draw(json_docs)
    elif how == "retype":
        doc[key] = draw(json_docs)
    elif how == "wrap":
        doc[key] = [doc[key]]
    elif isinstance(doc[key], str):
        extra = draw(junk_text)
        doc[key] = doc[key] + extra if how == "suffix" else extra + doc[key]
    return doc


# --- checks ----------------------------------------------------------------------------------

def _full(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and STRICT[pattern].fullmatch(value) is not None


def really_valid(kind: str, parsed: Any) -> str | None:
    """Why a parsed result is not actually valid, or None."""
    if kind == "hello":
        checks = {"device": _full("uuid", parsed.device), "epoch": _full("uuid", parsed.epoch),
                  "agent_version": _full("version", parsed.agent_version),
                  "library_version": parsed.library_version is None
                  or _full("version", parsed.library_version),
                  "sent_at": parsed.sent_at.tzinfo is not None,
                  "counts": 0 <= parsed.outbox_depth <= schemas.MAX_COUNT
                  and 0 <= parsed.screenshots_dropped <= schemas.MAX_COUNT}
    elif kind == "batch":
        checks = {"epoch": _full("uuid", parsed.epoch),
                  "items": 1 <= len(parsed.items) <= MAX_BATCH
                  and all(len(i.signature) == 64 for i in parsed.items)}
    else:
        checks = {"device": _full("uuid", parsed.device_uuid),
                  "hostname": _full("hostname", parsed.hostname),
                  "token_id": parsed.token_id is None or _full("token", parsed.token_id),
                  "code_id": parsed.code_id is None or _full("code", parsed.code_id),
                  "one id": (parsed.token_id is None) != (parsed.code_id is None),
                  "nonce": len(parsed.nonce) == 32 and len(parsed.proof) == 32}
    bad = [name for name, ok in checks.items() if not ok]
    if not bad:
        return None
    values = {k: getattr(parsed, k, None) for k in ("device", "epoch", "agent_version",
                                                    "library_version", "hostname", "token_id",
                                                    "code_id", "device_uuid")}
    shown = ", ".join(f"{k}={v!r}" for k, v in values.items() if v is not None and k in
                      (*bad, "device_uuid" if "device" in bad and kind == "enrol" else ""))
    return f"{kind} accepted with invalid {', '.join(bad)} ({shown})"


def same_as_sent(kind: str, doc: dict[str, Any], parsed: Any) -> bool:
    if kind == "hello":
        return (parsed.device, parsed.epoch, parsed.agent_version, parsed.outbox_depth,
                parsed.screenshots_dropped, parsed.library_version, parsed.sent_at) == (
            doc["device"], doc["epoch"], doc["agent_version"], doc["outbox_depth"],
            doc["screenshots_dropped"], doc.get("library_version"),
            datetime.fromisoformat(doc["sent_at"]))
    if kind == "batch":
        return parsed.epoch == doc["epoch"] and [
            (_b64(i.manifest), _b64(i.signature), _b64(i.content)) for i in parsed.items] == [
            (i["manifest"], i["signature"], i["content"]) for i in doc["items"]]
    return (parsed.device_uuid, parsed.hostname, _b64(parsed.csr), parsed.token_id,
            parsed.code_id) == (doc["device"], doc["hostname"], doc["csr"],
                                doc.get("token_id"), doc.get("code_id"))


# --- the run ---------------------------------------------------------------------------------

def run(scale: str) -> list[Figure]:
    """Hypothesis fuzz of app/net/schemas.py: only ProtocolError may escape, valid documents
    parse, nothing invalid is accepted (≥ 10,000 examples)."""
    tally = Tally()
    n_bytes, n_docs, n_mutated, n_valid = EXAMPLES[scale]

    def budget(examples: int) -> settings:
        return settings(max_examples=examples, deadline=None, database=None,
                        phases=(Phase.generate,), suppress_health_check=list(HealthCheck))

    def parse_all(what: str, doc: Any, kind_valid: str | None = None) -> None:
        for kind, parser in PARSERS.items():
            parsed = tally.call(f"{what}→{kind}", parser, doc)
            if parsed is not None:
                reason = really_valid(kind, parsed)
                if reason is not None:
                    tally.accepted_invalid.append(f"{what}: {reason} ← {_short(doc)}")

    @budget(n_bytes)
    @given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
    def random_bytes(body: bytes) -> None:
        tally.examples += 1
        doc = tally.call("load_json", load_json, body)
        if doc is not None:
            parse_all("bytes", doc)

    @budget(n_docs)
    @given(json_docs)
    def random_documents(doc: Any) -> None:
        tally.examples += 1
        body = json.dumps(doc).encode()  # what a device could send: NaN and all
        parse_all("document", tally.call("load_json", load_json, body))

    @budget(n_mutated)
    @given(mutated())
    def mutated_documents(case: tuple[str, dict[str, Any]]) -> None:
        tally.examples += 1
        kind, doc = case
        parse_all(f"mutated {kind}", tally.call("load_json", load_json, json.dumps(doc).encode()))

    def valid(kind: str) -> Callable[[], None]:
        @budget(n_valid)
        @given(VALID[kind])
        def check(doc: dict[str, Any]) -> None:
            tally.examples += 1
            try:
                parsed = PARSERS[kind](load_json(json.dumps(doc).encode()))
            except Exception as exc:
                tally.refused_valid.append(f"{kind}: {type(exc).__name__}: {exc} ← "
                                           f"{_short(doc)}")
                return
            if not same_as_sent(kind, doc, parsed):
                tally.refused_valid.append(f"{kind}: parsed to other values ← {_short(doc)}")
        return check

    for prop in (random_bytes, random_documents, mutated_documents, valid("hello"),
                 valid("batch"), valid("enrol")):
        prop()
    _edge_cases(tally, parse_all)

    for title, found in (("crash", tally.crashes), ("valid refused", tally.refused_valid),
                         ("invalid accepted", tally.accepted_invalid)):
        for line in _distinct(found)[:SHOW]:
            print(f"  fuzz {title}: {line}", flush=True)
    return [
        Figure("fuzz_schemas_examples", tally.examples, "examples", "≥ 10,000", "—", None),
        Figure("fuzz_schemas_crashes", len(tally.crashes), "failures",
               "0 (only ProtocolError may escape)", "—", None),
        Figure("fuzz_schemas_valid_refused", len(tally.refused_valid), "failures", "0", "—",
               None),
        Figure("fuzz_schemas_invalid_accepted", len(tally.accepted_invalid), "failures", "0",
               "—", None),
    ]


def _edge_cases(tally: Tally, parse_all: Callable[[str, Any], None]) -> None:
    """Bodies a generator rarely reaches: deep nesting, huge numbers, odd encodings."""
    bodies = [b"[" * 200_000, b"{\"a\":" * 100_000, b"1" * 5_000, b"-" + b"9" * 10_000,
              b"1e99999", b"NaN", b"-Infinity", b"\xef\xbb\xbf{}", "{}".encode("utf-16"),
              b"\xff\xfe", b"\"\\ud800\"", b"{\"device\": \"\\u0000\"}", b"", b" ", b"null",
              json.dumps({"items": [{}] * 10_000, "epoch": "x"}).encode()]
    for body in bodies:
        tally.examples += 1
        doc = tally.call("load_json", load_json, body)
        if doc is not None:
            parse_all("edge", doc)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def _distinct(lines: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for line in lines:
        seen.setdefault(line.split(" ← ")[0], line)
    return list(seen.values())
