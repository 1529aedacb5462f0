"""CSV helpers for every export and the staff import: safe cells out, plain problems in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection"); tab and carriage
# return are on the list because some spreadsheets strip them and then read the rest as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Excel opens a file as UTF-8 only when it starts with this mark.
BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """The text of one cell, with a leading ' when a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]], *, bom: bool = True) -> Iterator[str]:
    """Each row as one line of CSV text, every cell passed through ``safe_cell``; for streaming responses."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        yield BOM
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(rows: Iterable[Iterable[object]], filename: str) -> Response:
    """A CSV download; every cell goes through ``safe_cell``."""
    return Response(
        "".join(csv_lines(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class UnreadableFile(ValueError):
    """The upload is not text we can read; the message says what to do."""


def decode(raw: bytes) -> str:
    """UTF-8 text (a leading byte-order mark from Excel is dropped), or UnreadableFile naming the row."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = raw.count(b"\n", 0, error.start) + 1
        raise UnreadableFile(
            f"The file is not saved as UTF-8 text (the first problem is on row {row}). "
            "In Excel, choose File, Save As, and the type “CSV UTF-8 (comma delimited)”, then upload it again."
        ) from None


def read_rows(text: str) -> Iterator[list[str]]:
    """The records of a CSV text; csv.Error is turned into UnreadableFile."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        yield from reader
    except csv.Error as error:
        raise UnreadableFile(
            f"The file could not be read as CSV near row {reader.line_num}: {error}. "
            "Save it again from your spreadsheet as CSV and upload it again."
        ) from None
