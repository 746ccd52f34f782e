"""The Library screen's service: DSL and deputy browse and try sentences against the library
in force; the headteacher and the IT technician may not."""

from __future__ import annotations

import pytest

from app.errors import PermissionDeniedError
from app.services import library, users
from app.services.demo_school import DEMO_PASSWORD


def test_try_a_sentence_says_what_fires_and_why(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    sentence = "honestly i want to kill myself"
    (hit,) = [m for m in library.try_sentence(demo, dsl, sentence) if m.category_name == "Suicide"]
    assert sentence[hit.start:hit.end] == hit.text == "kill myself"
    assert hit.note and 1 <= hit.severity <= 5
    assert library.try_sentence(demo, dsl, "cocktail sausages in Scunthorpe") == []


def test_browse_by_category_and_search(demo) -> None:  # type: ignore[no-untyped-def]
    deputy = users.login(demo, "deputy", DEMO_PASSWORD)
    everything = library.list_phrases(demo, deputy)
    suicide = library.list_phrases(demo, deputy, category="suicide")
    assert suicide and all(p.category == "suicide" for p in suicide)
    assert len(suicide) < len(everything)
    found = library.list_phrases(demo, deputy, search="myself")
    assert found and all("myself" in " ".join((p.pattern, p.note, *p.exceptions)).lower()
                         for p in found)
    assert library.library_version(demo, deputy) == (
        library.LIBRARY_FOLDER / "VERSION").read_text().strip()


@pytest.mark.parametrize("who", ["head", "itech"])
def test_head_and_technician_cannot_see_the_library(demo, who: str) -> None:  # type: ignore[no-untyped-def]
    session = users.login(demo, who, DEMO_PASSWORD)
    with pytest.raises(PermissionDeniedError):
        library.list_phrases(demo, session)
    with pytest.raises(PermissionDeniedError):
        library.try_sentence(demo, session, "anything")
