"""Enum words come from one place (core/labels.py): every code of every Labelled enum has its words, and no two
codes of one enum read the same on screen."""

from __future__ import annotations

from flask import Flask

from core.labels import WORDS, Labelled
from core.mail import OutboxState
from core.models import Role, StaffStatus


def _all_labelled() -> list[type[Labelled]]:
    found: list[type[Labelled]] = []
    waiting = list(Labelled.__subclasses__())
    while waiting:
        kind = waiting.pop()
        found.append(kind)
        waiting.extend(kind.__subclasses__())
    return found


def test_every_code_has_its_words_once(app: Flask):  # the app imports every module, and with it every enum
    kinds = _all_labelled()
    assert {Role, StaffStatus, OutboxState} <= set(kinds)
    for kind in kinds:
        words = [WORDS.get((kind, member.value)) for member in kind]
        assert all(words), f"{kind.__name__} has a code without words"
        assert len(set(words)) == len(words), f"two codes of {kind.__name__} read the same: {words}"
    registered = {kind for kind, _value in WORDS}
    assert registered <= set(kinds), "words registered for an enum that is not Labelled"


def test_core_words():
    assert Role.PEER.label == "Peer specialist"
    assert StaffStatus.DEACTIVATED.label == "Deactivated"
    assert dict(OutboxState.choices())["failed"] == "Gave up after 5 tries"
