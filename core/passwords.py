"""Argon2id password hashing and the new-password rules (length and a common-password list; no composition rules)."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256

# argon2-cffi's defaults: RFC 9106's low-memory profile (Argon2id, 3 passes over 64 MiB, 4 lanes).
_hasher = PasswordHasher()
_TIMING_FILLER = "not a real password, used to even out timing"
_DUMMY_HASH = _hasher.hash(_TIMING_FILLER)


def use_fast_test_parameters() -> None:
    """For the test suite only (tests/conftest.py): the cheapest Argon2id parameters, so the thousands of hashes
    the tests make cost microseconds instead of a tenth of a second each. A stored hash names its own parameters,
    so hashes made either way verify. Never call this from the app."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _DUMMY_HASH = _hasher.hash(_TIMING_FILLER)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """Verify; without a stored hash still spend the same time, so timing does not reveal unknown accounts."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def problems_with(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Plain-language reasons a new password cannot be used; empty when it is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters. A few words in a row are easy to remember.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower().strip()
    if lowered in common_passwords():
        problems.append("This password is on a list of common passwords. Choose one that is not.")
    if email and lowered in {email.lower(), email.lower().split("@")[0]}:
        problems.append("Do not use your email address as your password.")
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        problems.append("Do not use your name as your password.")
    return problems
