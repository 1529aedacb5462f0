"""Action items a supervisor closes several at once, from the list of the open items of the people below them.

Each ticked item is checked at the version the page showed it (``core.edits``): if any of them was closed or changed
by someone else since, nothing is closed and the person is told which ones. Each item closed is audited on its own
(``sessions.close_item``), with the event and the item's number, never the words.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Select, select
from sqlalchemy.orm.exc import StaleDataError

from core import edits
from core.errors import InvalidInput, StaleEdit
from core.extensions import db
from core.models import Staff
from supervision.models import ActionItem
from supervision.services import access, sessions

MOST_AT_ONCE = 200  # more ids than any page shows: the request is not a list's


class StaleItems(Exception):
    """Some ticked items were closed or changed since the page was loaded: nothing was closed."""

    def __init__(self, items: list[ActionItem]) -> None:
        super().__init__("stale action items")
        self.items = items


def _below(supervisor: Staff) -> list[int]:
    return [staff_id for staff_id in access.reports(supervisor) if staff_id != supervisor.id]


def open_below(supervisor: Staff) -> Select:
    """The open action items of the people below ``supervisor`` in their supervisor chain, soonest due first."""
    return (
        select(ActionItem)
        .where(ActionItem.supervisee_id.in_(_below(supervisor)), ActionItem.closed_at.is_(None))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
    )


def chosen_ids(raw: list[str]) -> list[int] | None:
    """The ticked items' numbers as sent, in order and once each; None when something sent is not one."""
    ids: list[int] = []
    for value in raw:
        if not (value.isascii() and value.isdigit()) or len(value) > 9:
            return None
        ids.append(int(value))
    ids = list(dict.fromkeys(ids))
    return ids if len(ids) <= MOST_AT_ONCE else None


def load_chosen(ids: list[int], supervisor: Staff) -> list[ActionItem] | None:
    """The ticked items, when every one is an item of someone below ``supervisor`` (open or not: a closed one is
    stale, not missing); None when any is missing or someone else's, so the view answers as for a missing record."""
    if not ids:
        return []
    found = list(db.session.scalars(
        select(ActionItem)
        .where(ActionItem.id.in_(ids), ActionItem.supervisee_id.in_(_below(supervisor)))
        .order_by(ActionItem.id)
    ))
    return found if len(found) == len(ids) else None


def close_several(items: list[ActionItem], versions: Mapping[int, object], note: str, actor: Staff) -> None:
    """Close every item of ``items`` (each at the version in ``versions``, by item number), or none of them:
    ``InvalidInput`` when none is ticked, ``StaleItems`` when any was closed or changed since the page showed it,
    ``StaleEdit`` when one was closed at the same moment (the view rolls back: nothing is closed)."""
    if not items:
        raise InvalidInput({"item": "Tick at least one action item to close."})
    stale = [item for item in items
             if item.closed_at is not None or edits.submitted_version(versions.get(item.id)) != item.version]
    if stale:
        raise StaleItems(stale)
    try:
        for item in items:
            sessions.close_item(item, note, actor)
    except StaleDataError as error:  # closed by someone else between the check and the write
        raise StaleEdit from error
