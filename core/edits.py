"""Edits that never silently overwrite each other (optimistic concurrency).

Every editable record has an integer ``version`` column (mapped as SQLAlchemy's ``version_id_col`` where the row
itself changes). A form carries the version it was loaded at in a ``VersionField``; the service calls
``expect_version`` before changing anything, and the view commits through ``commit``, which turns SQLAlchemy's
``StaleDataError`` (a concurrent save that got in between the check and the write) into the same ``StaleEdit``.
The view then answers 409 with the person's input kept and the record as it is now beside it.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm.exc import StaleDataError

from core.errors import StaleEdit
from core.extensions import db

STALE_MESSAGE = (
    "Someone else saved a change to this while you were working on it, so nothing you entered was saved. "
    "Your changes are still in the form: check them against what is saved now, then save again."
)


class Versioned(Protocol):
    version: Any


def submitted_version(raw: object) -> int | None:
    """The version a form was loaded at, or None when the page sent none or something that is not a number."""
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return int(text)


def expect_version(record: Versioned, raw: object) -> None:
    """Raise ``StaleEdit`` unless the form was loaded at the record's current version."""
    if submitted_version(raw) != record.version:
        raise StaleEdit


def bump(record: Versioned) -> None:
    """Move the version on for a change the row's own columns do not show (e.g. rows in a link table)."""
    record.version = (record.version or 0) + 1


def flush() -> None:
    """Flush a service's changes; a row another save changed in between (its version moved on) becomes
    ``StaleEdit``. The view rolls back."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEdit from error


def commit() -> None:
    """Commit the request's work once; a concurrent save detected by the database becomes ``StaleEdit``."""
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise StaleEdit from error
