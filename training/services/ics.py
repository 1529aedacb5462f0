"""A person's renewal dates as an iCalendar file (RFC 5545) their calendar program imports: for each certification
they hold (not retired), the day it expires, the last day of its grace period and a provisional deadline, as
all-day events with a reminder 30 days before the expiry. Written by hand: a few lines of text, escaped and folded
as the standard says, with no library to add."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select

from core import timeutil
from core.extensions import db
from core.models import Staff
from training.models import Certification, Hold

PRODUCT = "-//PeerWorks//Training renewal dates//EN"


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and line breaks escaped."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets go on in continuation lines that start with a space (never splitting a
    character)."""
    out, current = [], ""
    for character in line:
        if len((current + character).encode()) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += character
    out.append(current)
    return "\r\n ".join(out)


def _event(uid: str, day: date, summary: str, description: str, stamp: str, alarm_days: int | None) -> Iterator[str]:
    yield "BEGIN:VEVENT"
    yield f"UID:{uid}"
    yield f"DTSTAMP:{stamp}"
    yield f"DTSTART;VALUE=DATE:{day:%Y%m%d}"
    yield f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}"
    yield f"SUMMARY:{escape(summary)}"
    yield f"DESCRIPTION:{escape(description)}"
    yield "TRANSP:TRANSPARENT"
    if alarm_days:
        yield "BEGIN:VALARM"
        yield "ACTION:DISPLAY"
        yield f"DESCRIPTION:{escape(summary)}"
        yield f"TRIGGER:-P{alarm_days}D"
        yield "END:VALARM"
    yield "END:VEVENT"


def renewal_calendar(person: Staff, host: str) -> str:
    stamp = f"{timeutil.utcnow():%Y%m%dT%H%M%SZ}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape('Renewal dates: ' + person.name)}",
    ]
    certifications = db.session.scalars(
        select(Certification)
        .where(Certification.staff_id == person.id, Certification.hold != Hold.RETIRED)
        .order_by(Certification.expires_on, Certification.id)
    )
    for found in certifications:
        name = found.credential_type.name
        uid = f"training-{found.id}"
        lines += _event(
            f"{uid}-expires-{found.expires_on:%Y%m%d}@{host}",
            found.expires_on,
            f"{name} expires",
            f"The last day of the current cycle of {person.name}'s {name}. Renew it with the board before then.",
            stamp,
            30,
        )
        if found.grace_ends_on != found.expires_on:
            lines += _event(
                f"{uid}-grace-{found.grace_ends_on:%Y%m%d}@{host}",
                found.grace_ends_on,
                f"{name}: grace period ends",
                f"After this day {person.name}'s {name} has expired.",
                stamp,
                None,
            )
        if found.provisional_until is not None:
            lines += _event(
                f"{uid}-provisional-{found.provisional_until:%Y%m%d}@{host}",
                found.provisional_until,
                f"{name}: provisional deadline",
                f"The provisional requirements of {person.name}'s {name} must be met by this day.",
                stamp,
                30,
            )
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
