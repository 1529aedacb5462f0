"""Codes stored in the database with the plain words shown on screen, shared by every module's enums."""

from __future__ import annotations

import enum

# (enum type, value) -> words. Keyed by type as well as value: two enums may share a value ("other") but not words.
WORDS: dict[tuple[type, str], str] = {}


class Labelled(enum.StrEnum):
    """A code stored in the database with the plain words shown on screen (registered with ``label_words``)."""

    @property
    def label(self) -> str:
        return WORDS[(type(self), self.value)]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


def label_words(words: dict[tuple[type, str], str]) -> None:
    """Register a module's words for its enums (each models module calls this once, after its enums)."""
    WORDS.update(words)
