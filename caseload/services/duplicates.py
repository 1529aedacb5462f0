"""Possible duplicates of a protected (sealed) record: finding them, and telling whoever handles that record.

A co-worker who takes a referral for a staff member who is also a client is never offered the sealed record (that
would reveal it), so a second, unsealed record is made: nothing changes on their screen. The same name and date of
birth (compared by ``core.text.name_key``) as a sealed record tells whoever handles that record at once, as a
high-priority notice that names nobody; they compare the two and merge the new one into the sealed record
(``caseload.services.merge``). Functions take the acting person, flush and audit; the view commits once.

The telling is done after the answer has gone out (``check_later`` with ``core.errors.after_the_answer``): it writes
a notice, an email and an audit entry that a record with an unknown name does not cost, so done before the answer,
its time alone would tell the person typing that the name belongs to a protected record.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy import select

from caseload.access import handlers_of
from caseload.models import Client
from caseload.services.matching import same_person
from caseload.services.safeguard_queries import path_for
from core import audit, notify
from core.extensions import db
from core.models import Priority, Staff
from core.timeutil import utcnow

# Compared to find a possible duplicate: a change to either may make a record one.
COMPARED = frozenset({"name", "date_of_birth"})

# Finding them ---------------------------------------------------------------------------------------------------


def sealed_matches(client: Client) -> list[Client]:
    """The sealed records with this (unsealed) record's name and date of birth."""
    if client.sealed:
        return []
    others = select(Client).where(Client.staff_member_id.is_not(None), Client.id != client.id)
    return same_person(client.name, client.date_of_birth, others)


def possible_duplicates(sealed: Client) -> list[Client]:
    """The unsealed records with this sealed record's name and date of birth, oldest first."""
    if not sealed.sealed:
        return []
    return same_person(sealed.name, sealed.date_of_birth, select(Client).where(Client.staff_member_id.is_(None)))


def merge_path(sealed_id: int, duplicate_id: int) -> str:
    return path_for("caseload.safeguards_merge", client_id=sealed_id, duplicate_id=duplicate_id)


def tell_of_possible_duplicates(client: Client, actor: Staff) -> int:
    """After a record is added (or its name or date of birth changed): tell whoever handles each sealed record it
    may duplicate, at once and as urgent, naming no client. Nothing changes for ``actor``. Returns how many sealed
    records it matched."""
    matches = sealed_matches(client)
    for sealed in matches:
        audit.record(
            "client.possible_duplicate",
            actor=actor,
            record_type="client",
            record_id=sealed.id,
            detail=f"new record {client.id}",
        )
        notify.notify(
            handlers_of(sealed),
            f"{actor.name} added a client record that may duplicate a protected record. Compare them and merge "
            "them if they are the same person.",
            merge_path(sealed.id, client.id),
            email_subject="PeerWorks (urgent): a new record may duplicate a protected one",
            email_body=(
                f"{actor.name} added a client record at {utcnow():%Y-%m-%d %H:%M} UTC with the same name and date "
                "of birth as a protected record. Until the two are merged, the new record is not protected.\n"
                "Sign in to PeerWorks to compare them. This email leaves out the client's details on purpose."
            ),
            priority=Priority.HIGH,
        )
    return len(matches)


def _tell_by_ids(client_id: int, actor_id: int) -> None:
    client, actor = db.session.get(Client, client_id), db.session.get(Staff, actor_id)
    if client is not None and actor is not None:  # a record whose saving was undone tells nobody
        tell_of_possible_duplicates(client, actor)


def check_later(client_id: int, actor_id: int) -> Callable[[], None]:
    """The check of a record just added or renamed, to be done once the answer has gone out
    (``core.errors.after_the_answer``), so that telling the privacy officer never shows in the answer's time."""
    return partial(_tell_by_ids, client_id, actor_id)
