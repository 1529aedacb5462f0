"""The checks shown beside a draft, each with a plain reason and the place to fix it (the agency's hiring rules,
seed 004: a clear job description, a living wage, lived experience counts as experience, never a single peer).

* **Blanks** left unfilled.
* **Pay** under the living wage the administrator entered for the agency's county (shown by the hour and by the
  year), no pay range at all, or pay so far out (over $200 or under $5 an hour) that it is surely a typing slip.
* **A single peer:** the peer specialists on the team now, plus the team's other open postings, plus this one must
  make at least two.
* **Requirements that shut out lived experience**, found by a list of phrases (the built-in ones below and those
  HR added); a phrase matches whatever the spaces or hyphens between its words.
* **Reading grade** above 8 (Flesch-Kincaid, computed by textstat), naming the hardest sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import textstat
from sqlalchemy import func, select

from core.extensions import db
from core.models import Role, Staff, StaffRole, StaffStatus, staff_team
from hiring.models import ExclusionPhrase, Posting, PostingVersion
from hiring.services import documents, pay, postings

MAX_GRADE = 8
HARDEST_SHOWN = 3
MIN_WORDS_FOR_A_SENTENCE = 6  # shorter lines (a heading, "Provide information to their peers") are not judged alone


@dataclass(frozen=True)
class BuiltinPhrase:
    phrase: str
    reason: str


CRIMINAL = (
    "A blanket bar shuts out many people whose lived experience is what this job needs. Name only the "
    "offences that truly matter for this job, and say that each person is considered individually."
)
SYMPTOMS = (
    "Recovery is not a number of years without symptoms. Ask for the skills the job needs, and say how the "
    "agency supports staff when things get hard."
)
HOSPITAL = "Having been in hospital is part of many people's lived experience, which this job asks for. Leave it out."
HISTORY = "Lived experience of mental health or substance use challenges is what the peer role is built on."
MEDICATION = (
    "Whether someone takes medication says nothing about how they do the job, and asking can break "
    "disability law. Leave it out."
)

BUILTIN_PHRASES = (
    BuiltinPhrase("no criminal history", CRIMINAL),
    BuiltinPhrase("no criminal record", CRIMINAL),
    BuiltinPhrase("clean criminal record", CRIMINAL),
    BuiltinPhrase("no arrests", CRIMINAL),
    BuiltinPhrase("no convictions", CRIMINAL),
    BuiltinPhrase("symptom-free", SYMPTOMS),
    BuiltinPhrase("free of symptoms", SYMPTOMS),
    BuiltinPhrase("no history of hospitalization", HOSPITAL),
    BuiltinPhrase("never been hospitalized", HOSPITAL),
    BuiltinPhrase("no psychiatric hospitalization", HOSPITAL),
    BuiltinPhrase("no history of mental illness", HISTORY),
    BuiltinPhrase("no psychiatric history", HISTORY),
    BuiltinPhrase("no history of substance use", HISTORY),
    BuiltinPhrase("no history of drug use", HISTORY),
    BuiltinPhrase("not taking medication", MEDICATION),
    BuiltinPhrase("medication-free", MEDICATION),
)


@dataclass(frozen=True)
class Check:
    code: str  # blank, pay, living_wage, lone_peer, phrase, reading
    title: str
    reason: str
    anchor: str  # the id of the field to fix it in
    page: str  # "edit", "duties" or "settings"
    details: tuple[str, ...] = ()


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as a pattern: whole words, any case, any run of spaces or hyphens between its words."""
    words = [re.escape(word) for word in re.split(r"[\s\-‐‑–]+", phrase.strip()) if word]
    return re.compile(r"\b" + r"[\s\-‐‑–]+".join(words) + r"\b", re.IGNORECASE)


def agency_phrases() -> list[ExclusionPhrase]:
    return list(db.session.scalars(select(ExclusionPhrase).order_by(func.lower(ExclusionPhrase.phrase))))


def all_phrases() -> list[tuple[str, str]]:
    """(phrase, reason): the built-in ones, then those HR added."""
    return [(p.phrase, p.reason) for p in BUILTIN_PHRASES] + [(p.phrase, p.reason) for p in agency_phrases()]


# Each check ---------------------------------------------------------------------------------------------------


def blank_checks(version: PostingVersion) -> list[Check]:
    labels = postings.blank_labels(version)
    values = postings.blanks_of(version)
    return [
        Check(
            "blank",
            f"The blank [{label}] is not filled in",
            f"The words “[{label}]” would appear in the posting as they are. Type what goes there.",
            f"blank_{index}",
            "edit",
        )
        for index, label in enumerate(labels)
        if not values.get(label, "").strip()
    ]


def pay_checks(version: PostingVersion) -> list[Check]:
    if version.pay_min_cents is None:
        return [
            Check(
                "pay",
                "No pay range yet",
                "People deciding whether to apply need to know the pay. Enter the pay range.",
                "pay_min",
                "edit",
            )
        ]
    slip = _unlikely_pay(version)
    if slip is not None:
        return [slip]
    wage = pay.living_wage()
    if wage is None:
        return [
            Check(
                "living_wage",
                "The agency's living wage is not entered",
                "The pay cannot be checked against a living wage until the administrator enters it under "
                "Settings (it takes a minute).",
                "living_wage_hourly",
                "settings",
            )
        ]
    hourly = pay.hourly_cents(version.pay_min_cents, version.pay_period, version.hours_per_week)
    if hourly >= wage.hourly_cents:
        return []
    area = f" for {wage.area}" if wage.area else ""
    offered = pay.describe(version.pay_min_cents, version.pay_min_cents, version.pay_period, version.hours_per_week)
    return [
        Check(
            "pay",
            "The pay starts under the living wage",
            f"The living wage{area} is {pay.dollars(wage.hourly_cents)} an hour "
            f"({pay.dollars(wage.yearly_cents, whole=True)} a year full time). This posting starts at {offered}. "
            "Seed 004: pay a living wage. Raise the bottom of the pay range.",
            "pay_min",
            "edit",
        )
    ]


# Beyond these, an hourly figure is almost surely a slip: a yearly amount typed against "per hour", a decimal point
# in the wrong place, or the other way round.
MOST_LIKELY_HOURLY_CENTS = 200_00
LEAST_LIKELY_HOURLY_CENTS = 5_00


def _unlikely_pay(version: PostingVersion) -> Check | None:
    """A pay range whose hourly equivalent is over $200 or under $5 an hour: named before it is published."""
    low = version.pay_min_cents or 0
    high = version.pay_max_cents if version.pay_max_cents is not None else low
    hourly_low = pay.hourly_cents(low, version.pay_period, version.hours_per_week)
    hourly_high = pay.hourly_cents(high, version.pay_period, version.hours_per_week)
    if hourly_low >= LEAST_LIKELY_HOURLY_CENTS and hourly_high <= MOST_LIKELY_HOURLY_CENTS:
        return None
    offered = pay.describe(version.pay_min_cents, version.pay_max_cents, version.pay_period, version.hours_per_week)
    return Check(
        "pay",
        "The pay looks mistyped",
        f"This posting offers {offered}. Pay over {pay.dollars(MOST_LIKELY_HOURLY_CENTS, whole=True)} or under "
        f"{pay.dollars(LEAST_LIKELY_HOURLY_CENTS, whole=True)} an hour is almost surely a typing slip: check the "
        "amounts and whether they are per hour or per year.",
        "pay_min",
        "edit",
    )


def peers_on_teams(team_ids: Iterable[int]) -> dict[int, int]:
    """Active peer specialists on each team, in one query."""
    ids = list(team_ids)
    if not ids:
        return {}
    statement = (
        select(staff_team.c.team_id, func.count(func.distinct(Staff.id)))
        .join(Staff, Staff.id == staff_team.c.staff_id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(staff_team.c.team_id.in_(ids), StaffRole.role == Role.PEER, Staff.status == StaffStatus.ACTIVE)
        .group_by(staff_team.c.team_id)
    )
    return {row[0]: row[1] for row in db.session.execute(statement)}


def lone_peer_checks(posting: Posting, version: PostingVersion) -> list[Check]:
    if version.team_id is None or version.team is None:
        return [
            Check(
                "team",
                "No team chosen yet",
                "Choose the program and team this job is for, so the posting says where the work is and the "
                "team can be checked for a second peer specialist.",
                "team",
                "edit",
            )
        ]
    peers = peers_on_teams([version.team_id]).get(version.team_id, 0)
    others = postings.open_counts_by_team([version.team_id], leave_out=posting.id).get(version.team_id, 0)
    if peers + others + 1 >= 2:
        return []
    return [
        Check(
            "lone_peer",
            "This would leave a single peer on the team",
            f"{version.team.name} has no peer specialist now and no other open posting, so whoever is hired would be "
            "the only peer on the team. Seed 004: avoid tokenism, never hire just one peer specialist. Post a second "
            "position for this team, or choose a team that already has a peer specialist.",
            "team",
            "edit",
        )
    ]


def phrase_checks(version: PostingVersion) -> list[Check]:
    pieces = list(_pieces(version))
    found = []
    for phrase, reason in all_phrases():
        pattern = phrase_pattern(phrase)
        for place, text in pieces:
            match = pattern.search(text)
            if match:
                found.append(
                    Check(
                        "phrase",
                        f"“{match.group(0)}” shuts out people with lived experience",
                        reason or "This requirement shuts out people with lived experience.",
                        place.anchor,
                        place.page,
                        (f"Found in: {place.name}.",),
                    )
                )
                break
    return found


def _pieces(version: PostingVersion) -> Iterable[tuple[documents.Place, str]]:
    document = postings.filled_document(version)
    yield from documents.texts(postings.filled(version, version.title), document)
    yield (
        documents.Place("lived_experience_text", "edit", "Lived experience"),
        postings.filled(version, version.lived_experience_text),
    )
    yield documents.Place("schedule", "edit", "Schedule"), postings.filled(version, version.schedule)


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")


def sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text) if part.strip()]


@cache
def grade(text: str) -> float:
    """The Flesch-Kincaid grade of ``text`` (textstat)."""
    return float(textstat.flesch_kincaid_grade(text))


def reading(version: PostingVersion) -> tuple[float, list[tuple[float, str, documents.Place]]]:
    """The whole posting's reading grade, and its sentences from hardest to easiest with where each is."""
    judged: list[tuple[float, str, documents.Place]] = []
    whole = []
    for place, text in _pieces(version):
        if place.anchor in ("title", "subtitle") or place.anchor.endswith("_heading"):
            continue
        for sentence in sentences(text):
            ended = sentence if sentence[-1] in ".!?:;" else sentence + "."
            whole.append(ended)
            if len(sentence.split()) >= MIN_WORDS_FOR_A_SENTENCE:
                judged.append((grade(ended), sentence, place))
    if not whole:
        return 0.0, []
    judged.sort(key=lambda row: -row[0])
    return grade(" ".join(whole)), judged


def reading_checks(version: PostingVersion) -> list[Check]:
    overall, judged = reading(version)
    if overall <= MAX_GRADE:
        return []
    hardest = [row for row in judged if row[0] > MAX_GRADE][:HARDEST_SHOWN]
    first_place = hardest[0][2] if hardest else documents.Place("section_0_text", "edit", "")
    return [
        Check(
            "reading",
            f"Reading grade {overall:.1f}: aim for 8 or below",
            "Plain words let more people, including people with lived experience, see themselves in the job. Use short "
            "sentences and everyday words. The hardest sentences:",
            first_place.anchor,
            first_place.page,
            tuple(f"Grade {score:.0f} ({place.name}): {sentence}" for score, sentence, place in hardest),
        )
    ]


def run(posting: Posting, version: PostingVersion) -> list[Check]:
    """Every check of a version, in the order they are shown."""
    return [
        *blank_checks(version),
        *pay_checks(version),
        *lone_peer_checks(posting, version),
        *phrase_checks(version),
        *reading_checks(version),
    ]
