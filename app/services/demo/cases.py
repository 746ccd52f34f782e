"""A handful of invented cases for the demo school, so a newcomer can open one — and export
it — at once. Written through the cases service as the demo DSL, so every line is real data
with a real audit trail: one pupil with restricted imagery (sextortion), one referral to MASH
with a back-dated phone call and a correction, one on legal hold, one closed, one monitored.
"""

from __future__ import annotations

from datetime import timedelta

from app.domain.cases import CaseDetail, CaseStatus, EntryDraft, EntryKind
from app.services import cases
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import demo_cases_repo


def seed_demo_cases(console: Console, dsl: UserSession) -> list[str]:
    """Open the demo cases; returns their references (fewer if the demo is very small)."""
    with console.reading() as db:
        restricted = demo_cases_repo.pupils_with_restricted_evidence(db, 1)
        busiest = demo_cases_repo.busiest_pupils(db, 6)
    picked = [*restricted, *(p for p in busiest if p not in restricted)][:5]
    made = []
    for n, subject_id in enumerate(picked):
        with console.reading() as db:
            found = demo_cases_repo.incidents_of(db, subject_id, 6)
        keys = [k for _, k in found]
        main = max(set(keys), key=keys.count)
        detail = cases.open_case(console, dsl, [i for i, _ in found],
                                 _SUMMARIES.get(main, _GENERAL))
        _chronology(console, dsl, detail.summary.id, n)
        made.append(detail.summary.reference)
    return made


_SUMMARIES = {
    "sextortion": "Pupil was pressured to send images and then threatened with their release. "
                  "Images were seen on screen; none have been viewed or copied by staff.",
    "cse": "Messages suggest an adult is grooming the pupil online and asking to meet.",
    "self_harm": "Repeated searches about self-harm over several weeks, and messages to a "
                 "friend saying they want to hurt themselves.",
    "suicide": "Searches and messages about ending their life; the pupil was seen the same day.",
    "bullying": "Sustained bullying in a class group chat, including threats after school.",
    "extremism": "Searches and posts suggesting an interest in extremist material.",
    "drugs": "Messages suggesting the pupil may be using or supplying drugs.",
    "pornography": "Repeated attempts to reach pornographic sites on a school device.",
    "discrimination": "Racist and homophobic messages sent to other pupils.",
    "violence": "Messages about bringing a weapon to school and fighting after school.",
}
_GENERAL = "A pattern of concerning activity across several weeks; see the incidents."


def _chronology(console: Console, dsl: UserSession, case_id: int, n: int) -> None:
    now = console.clock()

    def add(draft: EntryDraft) -> CaseDetail:
        return cases.add_entry(console, dsl, case_id, draft)

    add(EntryDraft(EntryKind.CONTACT, "Spoke with the pupil in the DSL office; they were "
                   "upset but engaged.", now - timedelta(days=2, hours=3),
                   contact_with="pupil"))
    add(EntryDraft(EntryKind.CONTACT, "Phoned mum; she was unaware and will keep the pupil "
                   "home tomorrow.", now - timedelta(days=2, hours=1),
                   contact_with="parent/carer"))
    if n == 0:
        add(EntryDraft(EntryKind.REFERRAL, "Reported to police via 101 and advised the family "
                       "about Report Remove.", now - timedelta(days=1), agency="Police",
                       agency_reference="CAD-4471-26"))
        cases.set_legal_hold(console, dsl, case_id, True, "Police investigation under way")
        cases.set_status(console, dsl, case_id, CaseStatus.REFERRED, "Police informed")
    elif n == 1:
        referral = add(EntryDraft(EntryKind.REFERRAL, "Referred to MASH by phone.",
                                  now - timedelta(days=1, hours=2), agency="MASH / children's "
                                  "social care", agency_reference="MASH-20931"))
        first = next(e for e in referral.chronology if e.kind == EntryKind.REFERRAL)
        add(EntryDraft(EntryKind.REFERRAL, "Correction: the MASH reference is MASH-20913.",
                       first.occurred_at, agency="MASH / children's social care",
                       agency_reference="MASH-20913", corrects_id=first.id))
        add(EntryDraft(EntryKind.ACTION, "Safety plan agreed with the pupil and CAMHS "
                       "referral discussed with mum."))
        cases.set_status(console, dsl, case_id, CaseStatus.REFERRED, "MASH referral made")
    elif n == 2:
        add(EntryDraft(EntryKind.OUTCOME, "Restorative meeting held; messages stopped.",
                       outcome="Resolved in school"))
        cases.set_status(console, dsl, case_id, CaseStatus.CLOSED, "Resolved in school")
    else:
        add(EntryDraft(EntryKind.NOTE, "Form tutor asked to keep an eye and report back."))
        cases.set_status(console, dsl, case_id, CaseStatus.MONITORING, "Watch for a month")
