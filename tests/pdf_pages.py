"""Reading a referral PDF's pages back as text (poppler's pdftotext, one string a page)."""

from __future__ import annotations

import re


def incident_pages(pages: list[str], number: int, total: int) -> list[int]:
    """The page indexes from 'Incident n of t' up to the next incident or section."""
    start = next(i for i, p in enumerate(pages) if re.search(
        rf"Incident {number} of {total}\b", p))
    found = [start]
    for i in range(start + 1, len(pages)):
        if re.search(rf"Incident \d+ of {total}\b|^\s*\d\. ", pages[i], re.MULTILINE):
            break
        found.append(i)
    return found
