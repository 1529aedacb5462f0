"""Instruments: their domains and items, and versions.

An instrument that has been sent to anyone (a campaign using it has invitations, or it has answers) is *in use* and
is never changed under the people answering it: any change to it makes the next version, a full copy, and the change
is made there. Campaigns not yet sent move to the new version with it; campaigns already sent keep theirs. Domains
and items keep their ``code`` from version to version, so waves on different versions can be compared.

Only the newest version of an instrument can be changed. A change to an instrument, a domain or an item checks the
version the form was loaded at (``core.edits``), so two tabs never silently overwrite each other; a form loaded on
a version that is no longer the newest is stale too (``NotNewest``). Functions take the acting person, flush and
audit; the view commits.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from core import audit, edits
from core.errors import StaleEdit
from core.extensions import db
from core.models import Staff
from readiness.models import Campaign, Domain, Instrument, Invitation, Item, ItemKind, Response

Row = TypeVar("Row", Domain, Item)

MIN_OPTIONS = 2
MAX_OPTIONS = 20


class NotNewest(StaleEdit):
    """Only the newest version of an instrument can be changed: a form loaded on an older one is stale (a save in
    the meantime made the newer version)."""


class DomainNotEmpty(Exception):
    """A domain that still holds questions cannot be removed."""


@dataclass(frozen=True)
class InstrumentDetails:
    name: str
    description: str = ""


@dataclass(frozen=True)
class DomainDetails:
    name: str
    training_topic: str = ""
    position: int | None = None


@dataclass(frozen=True)
class ItemDetails:
    kind: str
    text: str
    domain_id: int | None = None
    hint: str = ""
    reversed: bool = False
    options: tuple[str, ...] = ()
    required: bool = True
    position: int | None = None


# Reading ----------------------------------------------------------------------------------------------------


def in_use(instrument: Instrument) -> bool:
    """Sent to anyone, or answered: then it must not change."""
    sent = exists().where(Invitation.campaign_id == Campaign.id, Campaign.instrument_id == instrument.id)
    answered = exists().where(Response.campaign_id == Campaign.id, Campaign.instrument_id == instrument.id)
    return bool(db.session.scalar(select(sent | answered)))


def in_use_ids(instrument_ids: list[int]) -> set[int]:
    """Which of these instruments are in use, in one query."""
    if not instrument_ids:
        return set()
    sent = select(Campaign.instrument_id).join(Invitation, Invitation.campaign_id == Campaign.id)
    answered = select(Campaign.instrument_id).join(Response, Response.campaign_id == Campaign.id)
    statement = select(Campaign.instrument_id).where(
        Campaign.instrument_id.in_(instrument_ids),
        Campaign.instrument_id.in_(sent.union(answered).scalar_subquery()),
    )
    return set(db.session.scalars(statement.distinct()))


def with_contents(instrument_id: int) -> Instrument | None:
    """An instrument with its domains and items loaded (two more queries, whatever its size)."""
    return db.session.scalar(
        select(Instrument)
        .where(Instrument.id == instrument_id)
        .options(selectinload(Instrument.domains), selectinload(Instrument.items))
    )


def load_contents(instrument_id: int) -> Instrument:
    """``with_contents`` for an instrument known to exist."""
    return db.session.scalars(
        select(Instrument)
        .where(Instrument.id == instrument_id)
        .options(selectinload(Instrument.domains), selectinload(Instrument.items))
    ).one()


def versions_of(instrument: Instrument) -> list[Instrument]:
    line = instrument.line_id
    return list(
        db.session.scalars(
            select(Instrument)
            .where((Instrument.id == line) | (Instrument.first_version_id == line))
            .order_by(Instrument.version)
        )
    )


def newest_version(instrument: Instrument) -> Instrument:
    line = instrument.line_id
    return db.session.scalars(
        select(Instrument)
        .where((Instrument.id == line) | (Instrument.first_version_id == line))
        .order_by(Instrument.version.desc())
        .limit(1)
    ).one()


def newest_versions() -> Select:
    """The newest version of every instrument, by name: what new campaigns can use."""
    newer = aliased(Instrument)
    line = func.coalesce(Instrument.first_version_id, Instrument.id)
    has_newer = exists().where(
        func.coalesce(newer.first_version_id, newer.id) == line, newer.version > Instrument.version
    )
    return select(Instrument).where(~has_newer).order_by(func.lower(Instrument.name), Instrument.id)


def all_versions() -> Select:
    """Every instrument and version, newest version of each first, for the list of instruments."""
    line = func.coalesce(Instrument.first_version_id, Instrument.id)
    return select(Instrument).order_by(func.lower(Instrument.name), line, Instrument.version.desc())


def campaign_counts(instrument_ids: list[int]) -> dict[int, int]:
    if not instrument_ids:
        return {}
    rows = db.session.execute(
        select(Campaign.instrument_id, func.count())
        .where(Campaign.instrument_id.in_(instrument_ids))
        .group_by(Campaign.instrument_id)
    )
    return {int(instrument_id): int(count) for instrument_id, count in rows}


def counterpart(rows: list[Row], code: str) -> Row | None:
    """The domain or item with this ``code`` among ``rows`` (codes carry over from version to version)."""
    return next((row for row in rows if row.code == code), None)


def scored_domains(instrument: Instrument) -> list[Domain]:
    """Domains holding at least one agreement item (the ones with a 0-100 score). Needs contents loaded."""
    scored = {item.domain_id for item in instrument.items if item.kind == ItemKind.LIKERT}
    return [domain for domain in instrument.domains if domain.id in scored]


# Problems with input (the view shows them next to the fields) ----------------------------------------------


def item_problems(details: ItemDetails, instrument: Instrument) -> dict[str, str]:
    problems: dict[str, str] = {}
    if details.kind in (ItemKind.SINGLE, ItemKind.MULTI):
        if len(details.options) < MIN_OPTIONS:
            problems["options"] = "Enter at least two options, one on each line."
        elif len(details.options) > MAX_OPTIONS:
            problems["options"] = f"Use at most {MAX_OPTIONS} options."
        elif len({option.lower() for option in details.options}) != len(details.options):
            problems["options"] = "Each option must be different."
    if details.kind == ItemKind.LIKERT and details.domain_id is None:
        problems["domain"] = "Choose the domain this statement counts in. Agreement statements are scored by domain."
    if details.domain_id is not None and details.domain_id not in {d.id for d in instrument.domains}:
        problems["domain"] = "Choose one of this instrument's domains."
    return problems


# Versions ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Writable:
    """The instrument to change: the same one, or its new version when it was in use."""

    instrument: Instrument
    new_version: bool
    domain_ids: dict[int, int]  # old domain id -> id in ``instrument``
    item_ids: dict[int, int]


def make_new_version(instrument: Instrument, actor: Staff) -> Writable:
    """Copy the instrument, with its domains and items, as the next version. Campaigns using it that have not been
    sent yet move to the copy."""
    source = load_contents(instrument.id)
    copy = Instrument(
        name=source.name,
        description=source.description,
        version=newest_version(source).version + 1,
        first_version_id=source.line_id,
        previous_version_id=source.id,
        created_by_id=actor.id,
    )
    db.session.add(copy)
    domains: dict[int, Domain] = {}
    for domain in source.domains:
        domains[domain.id] = Domain(
            instrument=copy, code=domain.code, name=domain.name, position=domain.position,
            training_topic=domain.training_topic,
        )
        db.session.add(domains[domain.id])
    items: dict[int, Item] = {}
    for item in source.items:
        items[item.id] = Item(
            instrument=copy, domain=domains[item.domain_id] if item.domain_id else None, code=item.code,
            position=item.position, kind=item.kind, text=item.text, hint=item.hint, reversed=item.reversed,
            options=item.options, required=item.required,
        )
        db.session.add(items[item.id])
    try:
        db.session.flush()
    except IntegrityError as error:  # another save made this version number at the same moment
        raise StaleEdit from error
    not_sent = ~exists().where(Invitation.campaign_id == Campaign.id)
    db.session.execute(
        update(Campaign)
        .where(Campaign.instrument_id == source.id, not_sent)
        .values(instrument_id=copy.id, version=Campaign.version + 1)  # an open edit form of it is now stale
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    audit.record("readiness.instrument_versioned", actor=actor, record_type="readiness_instrument",
                 record_id=copy.id, detail=f"version {copy.version}, copied from {source.id}")
    return Writable(
        load_contents(copy.id),
        True,
        {old: new.id for old, new in domains.items()},
        {old: new.id for old, new in items.items()},
    )


def writable(instrument: Instrument, actor: Staff) -> Writable:
    """Where a change to ``instrument`` goes: itself, or a new version when it is in use."""
    if newest_version(instrument).id != instrument.id:
        raise NotNewest
    if in_use(instrument):
        return make_new_version(instrument, actor)
    loaded = load_contents(instrument.id)
    return Writable(loaded, False, {d.id: d.id for d in loaded.domains}, {i.id: i.id for i in loaded.items})


# Changes ----------------------------------------------------------------------------------------------------


def create_instrument(details: InstrumentDetails, actor: Staff, start_from: Instrument | None = None) -> Instrument:
    """A new instrument: empty, or a copy of the domains and items of ``start_from`` (a new line, version 1)."""
    instrument = Instrument(name=details.name, description=details.description, version=1, created_by_id=actor.id)
    db.session.add(instrument)
    if start_from is not None:
        source = load_contents(start_from.id)
        domains: dict[int, Domain] = {}
        for domain in source.domains:
            domains[domain.id] = Domain(
                instrument=instrument, code=domain.code, name=domain.name, position=domain.position,
                training_topic=domain.training_topic,
            )
            db.session.add(domains[domain.id])
        for item in source.items:
            db.session.add(Item(
                instrument=instrument, domain=domains[item.domain_id] if item.domain_id else None, code=item.code,
                position=item.position, kind=item.kind, text=item.text, hint=item.hint, reversed=item.reversed,
                options=item.options, required=item.required,
            ))
    db.session.flush()
    detail = f"copied from {start_from.id}" if start_from is not None else "empty"
    audit.record("readiness.instrument_created", actor=actor, record_type="readiness_instrument",
                 record_id=instrument.id, detail=detail)
    return instrument


def expect_revision(instrument: Instrument, seen: object) -> None:
    """``core.edits.expect_version`` for an instrument, whose edit counter is ``revision``."""
    if edits.submitted_version(seen) != instrument.revision:
        raise StaleEdit


def update_instrument(instrument: Instrument, details: InstrumentDetails, seen: object, actor: Staff) -> Writable:
    expect_revision(instrument, seen)
    target = writable(instrument, actor)
    target.instrument.name = details.name
    target.instrument.description = details.description
    edits.flush()
    audit.record("readiness.instrument_updated", actor=actor, record_type="readiness_instrument",
                 record_id=target.instrument.id, detail="name and description")
    return target


def _next_position(rows: list[Domain] | list[Item]) -> int:
    return max((row.position for row in rows), default=0) + 1


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:24].strip("_")
    return f"{words or 'domain'}_{uuid.uuid4().hex[:6]}"


def add_domain(instrument: Instrument, details: DomainDetails, actor: Staff) -> tuple[Writable, Domain]:
    target = writable(instrument, actor)
    domain = Domain(
        instrument_id=target.instrument.id,
        code=_slug(details.name),
        name=details.name,
        training_topic=details.training_topic,
        position=details.position if details.position is not None else _next_position(target.instrument.domains),
    )
    db.session.add(domain)
    db.session.flush()
    audit.record("readiness.domain_added", actor=actor, record_type="readiness_instrument",
                 record_id=target.instrument.id, detail=f"domain {domain.id}")
    return target, domain


def update_domain(domain: Domain, details: DomainDetails, seen: object, actor: Staff) -> Writable:
    edits.expect_version(domain, seen)
    target = writable(_instrument_of(domain.instrument_id), actor)
    row = db.session.get_one(Domain, target.domain_ids[domain.id])
    row.name = details.name
    row.training_topic = details.training_topic
    if details.position is not None:
        row.position = details.position
    edits.flush()
    audit.record("readiness.domain_updated", actor=actor, record_type="readiness_instrument",
                 record_id=target.instrument.id, detail=f"domain {row.id}")
    return target


def remove_domain(domain: Domain, actor: Staff) -> Writable:
    if db.session.scalar(select(exists().where(Item.domain_id == domain.id))):
        raise DomainNotEmpty
    target = writable(_instrument_of(domain.instrument_id), actor)
    row = db.session.get_one(Domain, target.domain_ids[domain.id])
    db.session.delete(row)
    edits.flush()
    audit.record("readiness.domain_removed", actor=actor, record_type="readiness_instrument",
                 record_id=target.instrument.id, detail=f"domain {domain.id}")
    return target


def _apply(item: Item, details: ItemDetails, domain_ids: dict[int, int]) -> None:
    item.kind = details.kind
    item.text = details.text
    item.hint = details.hint
    item.domain_id = domain_ids.get(details.domain_id) if details.domain_id is not None else None
    item.reversed = details.reversed if details.kind == ItemKind.LIKERT else False
    item.options = "\n".join(details.options) if details.kind in (ItemKind.SINGLE, ItemKind.MULTI) else ""
    item.required = details.required
    if details.position is not None:
        item.position = details.position


def add_item(instrument: Instrument, details: ItemDetails, actor: Staff) -> tuple[Writable, Item]:
    target = writable(instrument, actor)
    item = Item(instrument_id=target.instrument.id, code=f"q_{uuid.uuid4().hex[:10]}",
                position=_next_position(target.instrument.items))
    _apply(item, details, target.domain_ids)
    db.session.add(item)
    db.session.flush()
    audit.record("readiness.item_added", actor=actor, record_type="readiness_instrument",
                 record_id=target.instrument.id, detail=f"item {item.id}")
    return target, item


def update_item(item: Item, details: ItemDetails, seen: object, actor: Staff) -> Writable:
    edits.expect_version(item, seen)
    target = writable(_instrument_of(item.instrument_id), actor)
    row = db.session.get_one(Item, target.item_ids[item.id])
    _apply(row, details, target.domain_ids)
    edits.flush()
    audit.record("readiness.item_updated", actor=actor, record_type="readiness_instrument",
                 record_id=target.instrument.id, detail=f"item {row.id}")
    return target


def remove_item(item: Item, actor: Staff) -> Writable:
    target = writable(_instrument_of(item.instrument_id), actor)
    row = db.session.get_one(Item, target.item_ids[item.id])
    # Never one with answers: an instrument in use was copied above. Drafts naming the item are read leniently.
    db.session.delete(row)
    edits.flush()
    audit.record("readiness.item_removed", actor=actor, record_type="readiness_instrument",
                 record_id=target.instrument.id, detail=f"item {item.id}")
    return target


def _instrument_of(instrument_id: int) -> Instrument:
    return db.session.get_one(Instrument, instrument_id)
