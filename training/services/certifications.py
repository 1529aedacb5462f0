"""Certifications staff hold: HR records one (with its first cycle), corrects its dates, records a renewal (the next
cycle) or a hold (suspended, retired), and keeps the credential's rules; the dates that follow from the rules are
worked out here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, bindparam, select, update

from core import audit, credentials, edits, timeutil
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import CredentialType, Staff
from training.models import Certification, CertStatus, Cycle, Hold
from training.services import progress
from training.services.dates import ONE_DAY, cycle_end, grace_end, next_cycle, provisional_deadline
from training.services.status import status_expression


@dataclass(frozen=True)
class CertificationDetails:
    credential_type_id: int | None
    number: str
    issued_on: date | None
    expires_on: date | None  # None: worked out from the credential's cycle
    provisional: bool
    hold: str = Hold.NONE
    hold_note: str = ""


def cycles_of(certification: Certification) -> list[Cycle]:
    return list(
        db.session.scalars(select(Cycle).where(Cycle.certification_id == certification.id).order_by(Cycle.number))
    )


def latest_cycle(certification: Certification) -> Cycle:
    return db.session.scalars(
        select(Cycle).where(Cycle.certification_id == certification.id).order_by(Cycle.number.desc()).limit(1)
    ).one()


def cycle_holding(certification: Certification, day: date) -> Cycle | None:
    """The one cycle whose days include ``day`` (None before the first or after the last)."""
    return db.session.scalar(
        select(Cycle).where(Cycle.certification_id == certification.id, Cycle.starts_on <= day, Cycle.ends_on >= day)
    )


def current_cycle(certification: Certification) -> Cycle:
    """The cycle holding today, or, after the last one ended (in grace, expired), the last one."""
    return cycle_holding(certification, timeutil.today()) or latest_cycle(certification)


def derive_dates(certification: Certification, credential: CredentialType) -> None:
    """The dates that follow from the certification's own dates and its credential's rules."""
    certification.grace_ends_on = grace_end(certification.expires_on, credential.grace_days)
    certification.provisional_until = (
        provisional_deadline(certification.issued_on, credential.provisional_months, certification.expires_on)
        if certification.provisional
        else None
    )


def _problems(details: CertificationDetails, credential: CredentialType | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    today = timeutil.today()
    if credential is None:
        problems["credential_type"] = "Choose the credential."
    if details.issued_on is None:
        problems["issued_on"] = "Enter the day the certification was issued."
    elif details.issued_on > today:
        problems["issued_on"] = "The day it was issued cannot be after today. Add it once it is issued."
    if details.expires_on is None and credential is not None and credential.cycle_months is None:
        problems["expires_on"] = (
            "Enter the day it expires, as on the certificate: the renewal rules of this credential are not "
            "entered yet, so PeerWorks cannot work it out."
        )
    if details.issued_on and details.expires_on and details.expires_on < details.issued_on:
        problems["expires_on"] = "The day it expires must be on or after the day it was issued."
    return problems


def holds(staff: Staff, credential_type_id: int) -> bool:
    return (
        db.session.scalar(
            select(Certification.id).where(
                Certification.staff_id == staff.id, Certification.credential_type_id == credential_type_id
            )
        )
        is not None
    )


def add(staff: Staff, details: CertificationDetails, actor: Staff) -> Certification:
    """Record a certification ``staff`` holds, with its first cycle (from the day it was issued)."""
    credential = db.session.get(CredentialType, details.credential_type_id) if details.credential_type_id else None
    problems = _problems(details, credential)
    if credential is not None and credential.retired_at is not None:
        problems["credential_type"] = "This credential is retired. Choose one that is in use."
    if credential is not None and holds(staff, credential.id):
        problems["credential_type"] = (
            f"{staff.name} already has this credential on file. Open it to record a renewal or a change."
        )
    if problems:
        raise InvalidInput(problems)
    if credential is None or details.issued_on is None:  # reported above
        raise InvalidInput(problems)
    expires_on = details.expires_on or cycle_end(details.issued_on, credential.cycle_months or 12)
    certification = Certification(
        staff_id=staff.id,
        credential_type_id=credential.id,
        number=details.number.strip(),
        issued_on=details.issued_on,
        expires_on=expires_on,
        provisional=details.provisional,
        hold=Hold.NONE,
    )
    derive_dates(certification, credential)
    db.session.add(certification)
    db.session.flush()
    db.session.add(
        Cycle(
            certification_id=certification.id,
            number=1,
            starts_on=details.issued_on,
            ends_on=expires_on,
            recorded_by_id=actor.id,
        )
    )
    progress.refresh(Cycle.certification_id == certification.id)
    audit.record(
        "training.certification_added",
        actor=actor,
        record_type="training_certification",
        record_id=certification.id,
        detail=f"staff {staff.id}",
    )
    return certification


def change(certification: Certification, details: CertificationDetails, version: object, actor: Staff) -> list[str]:
    """Correct a certification: its number, the day it was issued (the first cycle's start), the day it expires
    (the latest cycle's end), whether it is provisional and HR's hold. Returns what changed."""
    edits.expect_version(certification, version)
    credential = certification.credential_type
    problems = _problems(
        CertificationDetails(
            credential.id,
            details.number,
            details.issued_on,
            details.expires_on or certification.expires_on,
            details.provisional,
        ),
        credential,
    )
    cycles = cycles_of(certification)
    first, last = cycles[0], cycles[-1]
    expires_on = details.expires_on or certification.expires_on
    if details.issued_on and len(cycles) > 1 and details.issued_on > first.ends_on:
        problems["issued_on"] = (
            f"The day it was issued must be on or before {timeutil.long_date(first.ends_on)}, "
            "when its first cycle ended."
        )
    if len(cycles) > 1 and expires_on < last.starts_on:
        problems["expires_on"] = (
            f"The day it expires must be on or after {timeutil.long_date(last.starts_on)}, when its latest cycle "
            "started."
        )
    if details.hold not in {hold.value for hold in Hold}:
        problems["hold"] = "Choose one of the options shown."
    if problems or details.issued_on is None:
        raise InvalidInput(problems)
    changed = []
    for name, value in (
        ("number", details.number.strip()),
        ("issued_on", details.issued_on),
        ("expires_on", expires_on),
        ("provisional", details.provisional),
        ("hold", details.hold),
        ("hold_note", details.hold_note.strip()),
    ):
        if getattr(certification, name) != value:
            setattr(certification, name, value)
            changed.append(name)
    first.starts_on = details.issued_on
    last.ends_on = expires_on
    derive_dates(certification, credential)
    if changed:
        edits.flush()
        progress.refresh(Cycle.certification_id == certification.id)
        audit.record(
            "training.certification_changed",
            actor=actor,
            record_type="training_certification",
            record_id=certification.id,
            detail=", ".join(changed),
        )
    return changed


def renewal_default(certification: Certification) -> date | None:
    """The day the next cycle would end by the credential's rules (None when its rules are not entered)."""
    months = certification.credential_type.cycle_months
    return next_cycle(certification.expires_on, months)[1] if months else None


def renew(certification: Certification, expires_on: date | None, version: object, actor: Staff) -> Cycle:
    """Record a renewal: the next cycle starts the day after the latest one ends and runs to ``expires_on`` (by
    default the credential's cycle length). CE entries dated in it count there from now on."""
    edits.expect_version(certification, version)
    last = latest_cycle(certification)
    starts_on = last.ends_on + ONE_DAY
    ends_on = expires_on or renewal_default(certification)
    if ends_on is None:
        raise InvalidInput({"expires_on": "Enter the day the renewed certification expires, as on the certificate."})
    if ends_on < starts_on:
        raise InvalidInput(
            {"expires_on": f"The renewed certification must expire after {timeutil.long_date(last.ends_on)}."}
        )
    cycle = Cycle(
        certification_id=certification.id,
        number=last.number + 1,
        starts_on=starts_on,
        ends_on=ends_on,
        recorded_by_id=actor.id,
    )
    db.session.add(cycle)
    certification.expires_on = ends_on
    derive_dates(certification, certification.credential_type)
    edits.bump(certification)
    edits.flush()
    progress.refresh(Cycle.id == cycle.id)
    audit.record(
        "training.certification_renewed",
        actor=actor,
        record_type="training_certification",
        record_id=certification.id,
        detail=f"cycle {cycle.number}",
    )
    return cycle


def undo_renewal(certification: Certification, cycle_id: int | None, version: object, actor: Staff) -> Cycle:
    """Undo a renewal recorded by mistake: the latest cycle (``cycle_id``, the one the person saw) is removed and
    the one before it is current again, with the certification's expiry, grace and provisional dates restored from
    it. Only the latest cycle can be undone, and never the first. CE entries dated in the removed cycle stay, and
    count again once a renewal adds the cycle holding them. Returns the cycle that is the latest again."""
    edits.expect_version(certification, version)
    cycles = cycles_of(certification)
    last = cycles[-1]
    if cycle_id != last.id:
        raise Refused("Only the latest renewal can be undone, and this one is no longer the latest. Reload the page.")
    if len(cycles) < 2:
        raise Refused("This is the certification's first cycle: there is no renewal to undo.")
    previous = cycles[-2]
    db.session.delete(last)
    certification.expires_on = previous.ends_on
    derive_dates(certification, certification.credential_type)
    edits.bump(certification)
    edits.flush()
    progress.refresh(Cycle.id == previous.id)
    audit.record(
        "training.renewal_undone",
        actor=actor,
        record_type="training_certification",
        record_id=certification.id,
        detail=f"cycle {last.number} ({last.starts_on.isoformat()} to {last.ends_on.isoformat()}) removed",
    )
    return previous


def rules_changed(credential: CredentialType, details: credentials.RuleDetails, version: object, actor: Staff) -> int:
    """Save a credential's rules (``core.credentials.update_rules``), then work out again the dates and the CE
    totals of every certification of that credential. Returns how many certifications changed with it."""
    credentials.update_rules(credential, details, version, actor)
    rows = db.session.execute(
        select(Certification.id, Certification.issued_on, Certification.expires_on, Certification.provisional).where(
            Certification.credential_type_id == credential.id
        )
    ).all()
    if rows:
        table = Certification.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(grace_ends_on=bindparam("b_grace"), provisional_until=bindparam("b_provisional")),
            [
                {
                    "b_id": row.id,
                    "b_grace": grace_end(row.expires_on, credential.grace_days),
                    "b_provisional": provisional_deadline(row.issued_on, credential.provisional_months, row.expires_on)
                    if row.provisional
                    else None,
                }
                for row in rows
            ],
        )
        for certification in db.session.identity_map.values():
            if isinstance(certification, Certification) and certification.credential_type_id == credential.id:
                db.session.expire(certification, ["grace_ends_on", "provisional_until"])
        progress.refresh(Certification.credential_type_id == credential.id)
    return len(rows)


def of_person(staff_id: int) -> Select:
    return (
        select(Certification)
        .where(Certification.staff_id == staff_id)
        .order_by(Certification.expires_on.desc(), Certification.id)
    )


@dataclass(frozen=True)
class Summary:
    """A certification with its status and its current cycle's stored CE totals, for lists."""

    certification: Certification
    status: CertStatus
    cycle: Cycle

    @property
    def days_left(self) -> int:
        return (self.certification.expires_on - timeutil.today()).days

    @property
    def behind(self) -> bool:
        return self.cycle.on_pace_until is not None and timeutil.today() > self.cycle.on_pace_until


def summaries(staff_id: int) -> list[Summary]:
    """A person's certifications, each with its status and current cycle, in two queries."""
    today = timeutil.today()
    rows = db.session.execute(
        select(Certification, status_expression(today))
        .where(Certification.staff_id == staff_id)
        .order_by(Certification.expires_on.desc(), Certification.id)
    ).all()
    if not rows:
        return []
    cycles = list(
        db.session.scalars(
            select(Cycle).where(Cycle.certification_id.in_([row[0].id for row in rows])).order_by(Cycle.number)
        )
    )
    found = []
    for certification, status in rows:
        own = [cycle for cycle in cycles if cycle.certification_id == certification.id]
        holding = [cycle for cycle in own if cycle.starts_on <= today <= cycle.ends_on]
        found.append(Summary(certification, CertStatus(status), holding[0] if holding else own[-1]))
    return found
