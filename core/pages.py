"""Which page of a list to show: the ?page= number, kept within what a database can take."""

from __future__ import annotations

from flask import request

LAST_PAGE = 100_000  # far past any real list; keeps a typed page number from overflowing the database's OFFSET


def page_from(raw: str | None) -> int:
    """The page asked for, or 1 when ``raw`` is not a page number (a huge number is the last page, not an error)."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return 1
    return min(max(int(raw), 1), LAST_PAGE)


def page_number(name: str = "page") -> int:
    """The page asked for in the query string's ``name`` (``?page=`` unless a screen has two lists)."""
    return page_from(request.args.get(name))
