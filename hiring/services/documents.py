"""Job-description documents: the sample that ships with PeerWorks, the duty library, blanks, and the words a
document shows.

A document is plain data (dicts and lists, stored as JSON) so a version can be kept whole and compared:

    {"subtitle": str,
     "sections": [{"key", "heading", "text", "after",
                   "groups": [{"key", "lead", "style": "bullets" | "letters",
                               "duties": [{"key": library key or "", "text", "items": [str]}]}]}]}

A **blank** is a label in square brackets, e.g. ``[Program/Team]``: the place a template leaves for the agency to
fill. A version keeps what fills each blank apart from the text (``blanks``), so the text still shows where the
blanks were and a check can name those left unfilled.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_KEY = "sample"
BLANK = re.compile(r"\[([^\[\]\n]{1,60})\]")
STYLES = ("bullets", "letters")

Document = dict[str, Any]


@dataclass(frozen=True)
class LibraryDuty:
    key: str
    text: str
    items: tuple[str, ...]
    source: str  # the name of the part of the library it comes from


@dataclass(frozen=True)
class LibrarySource:
    key: str
    name: str
    duties: tuple[LibraryDuty, ...]


@cache
def _sample() -> dict[str, Any]:
    return json.loads((DATA / "sample_job_description.json").read_text(encoding="utf-8"))


@cache
def library() -> tuple[LibrarySource, ...]:
    """The duty library, part by part: the sample job description's duties, the functions of a peer specialist,
    the 16 recovery support specialist competencies, and program duties."""
    raw = json.loads((DATA / "duty_library.json").read_text(encoding="utf-8"))
    return tuple(
        LibrarySource(
            source["key"],
            source["name"],
            tuple(
                LibraryDuty(d["key"], d["text"], tuple(d.get("items", ())), source["name"]) for d in source["duties"]
            ),
        )
        for source in raw["sources"]
    )


@cache
def library_by_key() -> dict[str, LibraryDuty]:
    return {duty.key: duty for source in library() for duty in source.duties}


def duty_from_library(key: str) -> dict[str, Any] | None:
    found = library_by_key().get(key)
    if found is None:
        return None
    return {"key": found.key, "text": found.text, "items": list(found.items)}


def sample_name() -> str:
    return str(_sample()["name"])


def sample_title() -> str:
    return str(_sample()["title"])


def sample_document() -> Document:
    """The sample job description as a document (a fresh copy: change it freely)."""
    raw = _sample()
    sections = []
    for section in raw["sections"]:
        groups = [
            {
                **{k: group[k] for k in ("key", "lead", "style")},
                "duties": [duty_from_library(key) for key in group["duties"]],
            }
            for group in section["groups"]
        ]
        sections.append({**{k: section[k] for k in ("key", "heading", "text", "after")}, "groups": groups})
    return {"subtitle": raw["subtitle"], "sections": sections}


def load(text: str) -> Document:
    return json.loads(text)


def dump(document: Document) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def duplicate(document: Document) -> Document:
    return copy.deepcopy(document)


# Walking a document ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a piece of text lives, for a check's link: the field's id on the edit page or the duties page."""

    anchor: str  # the id of the field to fix it in
    page: str  # "edit" or "duties"
    name: str  # in words, e.g. "Major Duties and Responsibilities: opening text"


def texts(title: str, document: Document) -> Iterator[tuple[Place, str]]:
    """Every piece of text of a document with where it lives, in reading order."""
    yield Place("title", "edit", "Job title"), title
    yield Place("subtitle", "edit", "Line under the title"), document.get("subtitle", "")
    for s, section in enumerate(document["sections"]):
        heading = section["heading"] or f"Section {s + 1}"
        yield Place(f"section_{s}_heading", "edit", f"{heading}: heading"), section["heading"]
        yield Place(f"section_{s}_text", "edit", f"{heading}: opening text"), section["text"]
        for g, group in enumerate(section["groups"]):
            yield Place(f"section_{s}_group_{g}_lead", "edit", f"{heading}: words before a list"), group["lead"]
            for d, duty in enumerate(group["duties"]):
                place = Place(f"duty_{s}_{g}_{d}", "duties", f"{heading}: duty {d + 1}")
                yield place, duty["text"]
                for item in duty.get("items", ()):
                    yield place, item
        yield Place(f"section_{s}_after", "edit", f"{heading}: closing text"), section["after"]


def blanks_in(title: str, document: Document, *extra: str) -> list[str]:
    """The blank labels in a document (and in ``extra`` text), each once, in reading order."""
    found: dict[str, None] = {}
    for _place, text in texts(title, document):
        for match in BLANK.finditer(text):
            found[match.group(1)] = None
    for text in extra:
        for match in BLANK.finditer(text):
            found[match.group(1)] = None
    return list(found)


def fill(text: str, blanks: dict[str, str]) -> str:
    """``text`` with each blank that has a value replaced by it; a blank without one is left as it is."""
    return BLANK.sub(lambda match: blanks.get(match.group(1), "").strip() or match.group(0), text)


def filled(document: Document, blanks: dict[str, str]) -> Document:
    """A copy of the document with the blanks filled in."""
    out = duplicate(document)
    out["subtitle"] = fill(out.get("subtitle", ""), blanks)
    for section in out["sections"]:
        for key in ("heading", "text", "after"):
            section[key] = fill(section[key], blanks)
        for group in section["groups"]:
            group["lead"] = fill(group["lead"], blanks)
            for duty in group["duties"]:
                duty["text"] = fill(duty["text"], blanks)
                duty["items"] = [fill(item, blanks) for item in duty.get("items", ())]
    return out


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs (separated by an empty line)."""
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


def plain_text(title: str, document: Document) -> str:
    """The whole document as plain text, one piece a line: for reading grade and for search."""
    return "\n".join(text for _place, text in texts(title, document) if text.strip())


def letter(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index % 26]
