"""Two versions side by side with the changes marked (difflib): the details and every piece of text, in reading
order. A changed line shows the words removed and the words added inside it."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from hiring.models import PostingVersion
from hiring.services import documents, pay, postings

WORD = re.compile(r"\S+\s*")


@dataclass(frozen=True)
class Piece:
    text: str
    change: str  # "" (same), "removed" or "added"


@dataclass(frozen=True)
class Row:
    label: str
    kind: str  # "same", "changed", "removed" (only on the left) or "added" (only on the right)
    left: tuple[Piece, ...]
    right: tuple[Piece, ...]


def lines(version: PostingVersion) -> list[tuple[str, str]]:
    """(label, text) for every detail and piece of text of a version, in the order the posting shows them."""
    found = [
        ("Program", str(version.program) if version.program else ""),
        ("Team", version.team.name if version.team else ""),
        ("Setting", version.setting_label),
        ("Hours", version.employment_label),
        ("Pay", pay.describe(version.pay_min_cents, version.pay_max_cents, version.pay_period, version.hours_per_week)),
        ("Schedule", version.schedule),
        ("State credential", str(version.credential_type) if version.credential_type else "None required"),
        ("Lived experience", version.lived_experience_label),
        ("About lived experience", version.lived_experience_text),
        ("Last day to apply", version.closes_on.isoformat() if version.closes_on else ""),
    ]
    found += [(f"Question {n}", question) for n, question in enumerate(version.question_list, start=1)]
    found += [(f"Blank [{label}]", value) for label, value in sorted(postings.blanks_of(version).items())]
    document = documents.load(version.document)
    for place, text in documents.texts(version.title, document):
        if text.strip():
            found.append((place.name, text))
    return found


def _words(left: str, right: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    a, b = WORD.findall(left), WORD.findall(right)
    before: list[Piece] = []
    after: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            before.append(Piece("".join(a[i1:i2]), ""))
            after.append(Piece("".join(b[j1:j2]), ""))
            continue
        if i2 > i1:
            before.append(Piece("".join(a[i1:i2]), "removed"))
        if j2 > j1:
            after.append(Piece("".join(b[j1:j2]), "added"))
    return tuple(before), tuple(after)


def compare(old: PostingVersion, new: PostingVersion) -> list[Row]:
    """The rows of a side-by-side comparison of ``old`` (left) and ``new`` (right)."""
    left, right = lines(old), lines(new)
    keys_left = [f"{label}\x1f{text}" for label, text in left]
    keys_right = [f"{label}\x1f{text}" for label, text in right]
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(a=keys_left, b=keys_right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [Row(label, "same", (Piece(text, ""),), (Piece(text, ""),)) for label, text in left[i1:i2]]
            continue
        olds, news = left[i1:i2], right[j1:j2]
        for index in range(max(len(olds), len(news))):
            if index < len(olds) and index < len(news):
                before, after = _words(olds[index][1], news[index][1])
                label = news[index][0] if olds[index][0] == news[index][0] else f"{olds[index][0]} / {news[index][0]}"
                rows.append(Row(label, "changed", before, after))
            elif index < len(olds):
                rows.append(Row(olds[index][0], "removed", (Piece(olds[index][1], "removed"),), ()))
            else:
                rows.append(Row(news[index][0], "added", (), (Piece(news[index][1], "added"),)))
    return rows
