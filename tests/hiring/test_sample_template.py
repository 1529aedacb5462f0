"""The sample job description ships as data: every section and duty of seed 001 word for word, blanks marked; the
duty library holds seed 001's duties, seed 003's functions and 16 competencies, and seed 000's program duties."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.app import ROOT
from hiring.services import documents

SEEDS = ROOT.parent / "shared" / "seeds"
SEED_001 = SEEDS / "001_ca88a6982357ec7f.txt"
SEED_003 = SEEDS / "003_785bd29e9de5fe80.txt"
HEADINGS = [
    "Major Duties and Responsibilities",
    "Knowledge Required by the Position",
    "Supervisory Controls",
    "Guidelines",
    "Complexity",
    "Scope and Effect",
    "Physical Demands",
    "Work Environment",
]
BLANKS = [
    "Program/Team",
    "Service Line",
    "supervisor's title",
    "Program",
    "Department or Service Line",
    "Service Line name",
]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def seed_text(path: Path) -> str:
    """A seed as plain words: markdown marks gone, blanks written as [label], one space between words."""
    if not path.exists():
        pytest.skip(f"the agency's seed documents are not beside this checkout ({path})")
    text = path.read_text(encoding="utf-8").replace("\\_", "_").replace("**", "").replace("###", "")
    text = text.replace("_____ Service Line", "[Service Line name] Service Line")
    text = re.sub(r"_____ \(([^)]*?)(\.?)\)", r"[\1]\2", text)
    text = re.sub(r"^\s*(?:-|•|\d+\.)\s+(?:[a-f]\.\s+)?", " ", text, flags=re.MULTILINE)
    return squeeze(text)


def sample_pieces() -> list[str]:
    document = documents.sample_document()
    pieces = [document["subtitle"]]
    for section in document["sections"]:
        pieces += [section["text"], section["after"]]
        for group in section["groups"]:
            pieces.append(group["lead"])
            for duty in group["duties"]:
                pieces += [duty["text"], *duty["items"]]
    return [piece for piece in pieces if piece]


def test_every_section_heading_in_order_and_the_blanks_are_marked():
    document = documents.sample_document()
    assert [section["heading"] for section in document["sections"]] == HEADINGS
    assert documents.sample_title() == "Peer Specialist"
    assert documents.blanks_in(documents.sample_title(), document) == BLANKS


def test_every_duty_of_the_sample_is_there():
    document = documents.sample_document()
    lists = {group["key"]: group["duties"] for section in document["sections"] for group in section["groups"]}
    assert [len(lists[key]) for key in ("goal_setting", "recovery_experience", "knowledge")] == [8, 7, 6]
    plan = lists["recovery_experience"][-1]
    assert plan["items"] == [
        "identified person-centered strengths, needs, abilities, and recovery goals",
        "interventions to assist the client with reaching their goals for recovery",
        "progress made toward goals",
    ]
    assert lists["knowledge"][-1]["text"].startswith("A valid driver's license is required")


def test_the_sample_is_word_for_word_seed_001():
    seed = seed_text(SEED_001).lower()
    missing = [piece for piece in sample_pieces() if squeeze(piece).lower() not in seed]
    assert missing == []
    assert len(" ".join(sample_pieces())) > 0.85 * len(seed), "nothing of the seed is left out"


def test_the_library_holds_seed_003_word_for_word_and_the_program_duties():
    sources = {source.key: source for source in documents.library()}
    assert [len(sources[key].duties) for key in ("s003.function", "s003.competency")] == [5, 16]
    seed = seed_text(SEED_003)
    for duty in [*sources["s003.function"].duties, *sources["s003.competency"].duties]:
        assert squeeze(duty.text) in seed, duty.key
    program = " ".join(duty.text for duty in sources["s000"].duties)
    for fact in ("CRP referral pager", "same day", "CWT/SE", "Environment of Care Manual", "rounds"):
        assert fact in program
    every = [duty.key for source in documents.library() for duty in source.duties]
    assert len(every) == len(set(every)), "library keys are unique"


def test_a_copy_of_the_sample_never_changes_the_sample():
    first = documents.sample_document()
    first["sections"][0]["text"] = "changed"
    assert documents.sample_document()["sections"][0]["text"].startswith("The Peer Specialist (PS) is an active")


def test_blanks_are_filled_where_a_value_is_given_and_left_marked_where_not():
    text = "Join the [Program/Team] under the [supervisor's title]."
    filled = documents.fill(text, {"Program/Team": "CRP day team"})
    assert filled == "Join the CRP day team under the [supervisor's title]."
