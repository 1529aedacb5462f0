"""Lists a page at a time: which page was asked for (kept within what a database can take) and how many rows."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select

from core.extensions import db

LAST_PAGE = 100_000  # far past any real list; keeps a typed page number from overflowing the database's OFFSET


def page_from(raw: str | None) -> int:
    """The page asked for, or 1 when ``raw`` is not a page number (a huge number is the last page, not an error)."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return 1
    return min(max(int(raw), 1), LAST_PAGE)


def page_number(name: str = "page") -> int:
    """The page asked for in the query string's ``name`` (``?page=`` unless a screen has two lists)."""
    return page_from(request.args.get(name))


def page_size() -> int:
    """Rows on a page of a list: the ``PAGE_SIZE`` setting."""
    return int(current_app.config["PAGE_SIZE"])


class _RowPagination(SelectPagination):
    """A page of a select of plain columns: its rows as they are (``db.paginate`` keeps each row's first column)."""

    def _query_items(self) -> list[Any]:
        statement = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(statement))


def paginate(query: Select[Any], *, per_page: int | None = None, page: int | None = None,
             page_arg: str = "page", total: int | None = None, rows: bool = False) -> Pagination:
    """One page of ``query``: the page asked for in the query string, ``PAGE_SIZE`` rows unless told otherwise.
    A page past the end shows as an empty page, not an error. ``total``, when the screen has just counted the
    list another way (the same rows, e.g. in an aggregate of every group, or a count that needs fewer joins),
    saves counting it again. ``rows``: ``query`` selects columns, and the page's items are its rows (by default
    it selects records, and the items are those)."""
    found = (_RowPagination if rows else SelectPagination)(
        select=query,
        session=db.session(),
        page=page if page is not None else page_number(page_arg),
        per_page=per_page or page_size(),
        error_out=False,
        count=total is None,
    )
    if total is not None:
        found.total = total
    return found
