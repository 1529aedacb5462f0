"""Bugs the form fuzzer (tests/core/test_fuzz_forms.py) found, each kept as a plain regression test."""

from __future__ import annotations

import pytest

from core.credentials import parse_hours


@pytest.mark.parametrize("typed", ["1" + "0" * 26, "9" * 40, "-" + "9" * 30])
def test_hours_with_too_many_digits_are_refused_with_a_message(typed: str) -> None:
    """A credential's hours of 27 digits or more made ``Decimal.quantize`` raise: a server error (500) on
    /training/credentials/<id>/edit instead of the message next to the field."""
    with pytest.raises(ValueError, match="Enter a number of hours from 0 to"):
        parse_hours(typed)
