"""Form pieces every caseload form file shares."""

from __future__ import annotations

from wtforms.validators import DataRequired, Regexp

from core.forms import VersionField

MISSING_PART = "This form is missing a part. Reload the page and try again."


def version_field(label: str = "Version of this record") -> VersionField:
    """The version of the record the form was loaded at (``core.edits``): a change saved by someone else since
    then is refused instead of overwritten. A form that lost it cannot be saved."""
    return VersionField(label, validators=[DataRequired(MISSING_PART), Regexp(r"^\d{1,9}$", message=MISSING_PART)])
