"""Amounts of money: typed in dollars, kept in whole cents, shown as "$24.50" or "$48,000"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_CENTS = 10_000_000 * 100  # ten million dollars: anything larger is a typing mistake
MONEY = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


def parse_dollars(text: str) -> int | None:
    """Whole cents from what a person typed ("24.50", "$48,000", "48000"); None when it is not an amount."""
    cleaned = (text or "").strip()
    if not MONEY.match(cleaned):
        return None
    try:
        value = Decimal(cleaned.replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        return None
    cents = int((value * 100).to_integral_value())
    return cents if 0 < cents <= MAX_CENTS else None


def dollars(cents: int | None, *, whole: bool = False) -> str:
    """ "$24.50", "$48,000" (``whole`` drops the cents)."""
    if cents is None:
        return ""
    if whole or cents % 100 == 0:
        return f"${round(cents / 100):,}"
    return f"${cents // 100:,}.{cents % 100:02d}"


def plain(cents: int | None) -> str:
    """What a form box shows: "24.50", "48000"."""
    if cents is None:
        return ""
    return f"{cents // 100}" if cents % 100 == 0 else f"{cents // 100}.{cents % 100:02d}"
