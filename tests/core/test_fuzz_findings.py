"""Bugs the form fuzzer (tests/core/test_fuzz_forms.py) found, each kept as a plain regression test."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select

from core.credentials import parse_hours
from core.database import Lowered


@pytest.mark.parametrize("typed", ["1" + "0" * 26, "9" * 40, "-" + "9" * 30])
def test_hours_with_too_many_digits_are_refused_with_a_message(typed: str) -> None:
    """A credential's hours of 27 digits or more made ``Decimal.quantize`` raise: a server error (500) on
    /training/credentials/<id>/edit instead of the message next to the field."""
    with pytest.raises(ValueError, match="Enter a number of hours from 0 to"):
        parse_hours(typed)


@pytest.mark.parametrize("name", ["Åsa's WRAP course", "ÉTAPES de rétablissement", "ΣΥΝΟΔΟΣ"])
def test_a_name_taken_with_a_capital_outside_a_to_z_is_refused_with_a_message(client, db, login_as, name: str):
    """SQLite's lower() changes only A to Z, so "is this name taken?" (lower(name) == typed.lower()) missed
    "Åsa's WRAP course" on SQLite, and the unique name then failed in the database: a server error (500) on
    /training/curricula/new instead of the message (on PostgreSQL too for a name ending in a capital sigma, which
    Python lowers to ς and PostgreSQL to σ). The checks now lower both sides in the database (Lowered)."""
    login_as("hr")
    first = client.post("/training/curricula/new", data={"name": name, "description": "", "modules": ""})
    assert first.status_code == 302
    for typed in (name, name.upper()):
        again = client.post("/training/curricula/new", data={"name": typed, "description": "", "modules": ""})
        assert again.status_code == 400, typed
        assert "A curriculum with this name is on the list already." in again.get_data(as_text=True)


def test_lowered_lowers_as_python_does(db):
    assert db.session.scalar(select(Lowered(literal("ÅSA Ünal ΣΟΦΊΑ")))) == "ÅSA Ünal ΣΟΦΊΑ".lower()
