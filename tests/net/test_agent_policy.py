"""What hello hands an agent: the policy every time, the library when the device has another
version — checked and compiled on the device before it is used, the old one kept otherwise."""

from __future__ import annotations

import time

import pytest

from app.agent.library_sync import AgentLibrary, library_from_doc
from app.detection.library import LibraryError
from app.errors import ValidationError
from app.services import agent_policy, library, users
from app.services.agent_policy import AgentPolicy
from app.services.library import PhraseDraft
from tests.conftest import DSL_PASSWORD
from tests.net.kit import admit, run

EPOCH = "0193a0b4-0000-7000-8000-000000000001"


def _hello(device, library_version=None):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            return await client.hello(EPOCH, "1.0.0", library_version=library_version)
    return run(go())


def test_a_device_gets_the_library_in_force_and_matches_like_the_console(install, server,
                                                                         tmp_path) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    library.add_phrase(install, dsl, PhraseDraft("violence", "behind the sports hall bins"))
    reply = _hello(device)
    assert "school-0001" in {e[0] for e in reply.library["entries"]}
    agent = AgentLibrary(tmp_path)
    assert agent.update(reply.library) and agent.version == reply.library_version
    sentence = "meet me behind the sports hall bins, you should kill yourself"
    console_view = {(m.phrase_id, m.start, m.end) for m in library.try_sentence(install, dsl,
                                                                               sentence)}
    device_view = {(m.phrase_id, m.start, m.end) for m in agent.matcher.find(sentence)}
    assert device_view == console_view and ("school-0001", 8, 35) in device_view
    assert _hello(device, reply.library_version).library is None  # up to date: not sent again
    assert AgentLibrary(tmp_path).version == reply.library_version  # kept for an offline start


def test_a_damaged_library_document_is_refused_and_the_old_one_kept(install, server,
                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    reply = _hello(admit(install, server.port))
    agent = AgentLibrary(tmp_path)
    before = agent.version
    doc = dict(reply.library)
    doc["entries"] = [*doc["entries"], ["x-1", "violence", "(bad", "regex", "4", "en", "whole",
                                        "", ""]]
    assert agent.update(doc) is False and agent.version == before
    assert "regular expression" in (agent.problem or "")
    with pytest.raises(LibraryError):
        library_from_doc({"version": "v", "entries": "nope"})


def test_the_policy_reaches_devices_and_nonsense_is_refused(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    assert agent_policy.policy_from_doc(_hello(device).policy) == AgentPolicy()
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    agent_policy.set_policy(install, dsl, AgentPolicy(screen=False, ocr_interval_s=10,
                                                      school_hours="07:30-17:30",
                                                      excluded_apps=("zoom",)))
    deadline = time.monotonic() + 10  # the receiver re-reads policy every few seconds
    while True:
        got = agent_policy.policy_from_doc(_hello(device).policy)
        if got.screen is False or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (got.screen, got.ocr_interval_s, got.school_hours, got.excluded_apps) == (
        False, 10, "07:30-17:30", ("zoom",))
    with pytest.raises(ValidationError, match="07:30-17:30"):
        agent_policy.policy_from_doc({"school_hours": "after lunch"})
    with pytest.raises(ValidationError, match="unknown field"):
        agent_policy.policy_from_doc({"keylogger": True})
