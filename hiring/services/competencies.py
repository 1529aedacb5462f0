"""The 16 recovery support specialist competencies of seed 003, as interview panels score them. They are the ones in
the duty library (``hiring/data/duty_library.json``, word for word), read from there, never copied: a competency's
key is its key in the library (``s003.competency.1`` … ``s003.competency.16``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hiring.services import documents

SOURCE = "s003.competency"


@dataclass(frozen=True)
class Competency:
    key: str
    number: int  # 1 to 16, the order of seed 003; also the short name of its fields on a scorecard ("c4")
    name: str  # "Ally and Confidant"
    description: str  # the rest of seed 003's sentence

    @property
    def field(self) -> str:
        return f"c{self.number}"


@cache
def catalog() -> tuple[Competency, ...]:
    source = next(source for source in documents.library() if source.key == SOURCE)
    found = []
    for duty in source.duties:
        name, _colon, description = duty.text.partition(":")
        found.append(Competency(duty.key, int(duty.key.rsplit(".", 1)[1]), name.strip(), description.strip()))
    return tuple(found)


@cache
def by_key() -> dict[str, Competency]:
    return {competency.key: competency for competency in catalog()}


def in_order(keys: list[str]) -> list[Competency]:
    """The competencies of ``keys`` that exist, in seed 003's order."""
    known = by_key()
    return sorted((known[key] for key in set(keys) if key in known), key=lambda competency: competency.number)
