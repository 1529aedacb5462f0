"""The home page's to-do list: what needs the signed-in person, across modules, most urgent first.

Each module registers one **provider** from its ``register(app)``::

    from core import todo
    todo.add_provider(app, "training", training.services.todo.items)

A provider is a plain function ``(user: Staff) -> list[todo.Item]``. It returns a few items, each already counted
(``"3 CE entries to approve"``, not one item per entry), with a link and an urgency. It runs **one query** for
the whole module (several counts as scalar subqueries of one SELECT), and none at all when the person's roles
cannot have anything there (check ``policy.can`` first). Counts go through the module's own list scopes
(``core.policy.scope``), so a record the person may not see, a sealed client above all, is never counted.

core imports no module: modules hand their providers in, in the order ``create_app`` registers them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import aliased

from core.models import Staff

EXTENSION = "peerworks.todo_providers"


class Urgency(enum.IntEnum):
    """How soon: the list is sorted by this, then in the order modules registered."""

    NOW = 0  # overdue, expired, urgent notices
    TODAY = 1  # due today or within a few days
    SOON = 2  # waiting for the person, no date pressing
    LATER = 3  # coming up (an expiry in two months)


URGENCY_WORDS = {
    Urgency.NOW: "Urgent",
    Urgency.TODAY: "Due soon",
    Urgency.SOON: "Waiting for you",
    Urgency.LATER: "Coming up",
}


@dataclass(frozen=True)
class Item:
    """One line of the to-do list: ``words`` say what and how many ("2 candidates to score"), ``link`` where to do
    it; ``detail`` an optional second sentence (a date); ``module`` the card it belongs to ("Training")."""

    words: str
    link: str
    urgency: Urgency
    module: str
    count: int = 1
    detail: str = ""

    @property
    def urgency_words(self) -> str:
        return URGENCY_WORDS[self.urgency]


Provider = Callable[[Staff], list[Item]]


def add_provider(app: Flask, name: str, provider: Provider) -> None:
    """Register a module's provider (from its ``register(app)``); registering the same name again replaces it."""
    providers: dict[str, Provider] = app.extensions.setdefault(EXTENSION, {})
    providers[name] = provider


def providers() -> dict[str, Provider]:
    return dict(current_app.extensions.get(EXTENSION, {}))


def for_person(user: Staff) -> list[Item]:
    """Every provider's items for ``user``, most urgent first (a stable sort keeps each module's own order)."""
    items: list[Item] = []
    for provider in providers().values():
        items.extend(item for item in provider(user) if item.count > 0)
    return sorted(items, key=lambda item: item.urgency)


def plural(count: int, one: str, many: str | None = None) -> str:
    """``"1 candidate"`` / ``"3 candidates"``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def reports_of(user_id: int | ColumnElement[int]) -> Select:
    """The ids of everyone below ``user_id`` in the supervisor chain, as a subquery (a recursive CTE), so a
    provider can count their records inside its one query. ``user_id`` may be a ``bindparam``, for a statement
    built once."""
    chain = select(Staff.id).where(Staff.supervisor_id == user_id).cte("todo_chain", recursive=True)
    below = aliased(Staff)
    chain = chain.union(select(below.id).where(below.supervisor_id == chain.c.id))
    return select(chain.c.id)
