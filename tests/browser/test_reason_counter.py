"""The emergency access page's live character counter counts exactly what the server counts
(core.text.visible_length, through static/js/visible-length.js): a reason padded with spaces, invisible characters,
or characters the server's Unicode does not know never makes the counter say "enough" when the server would refuse
it, and an emoji or a letter with its accent typed separately counts once, as it does on the server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from caseload.services.emergency import MIN_REASON
from core.text import visible_length
from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in

pytestmark = pytest.mark.browser

NINETEEN = "Crisis call tonight"  # 17 letters and 2 spaces: 17 characters the server counts
REASONS = [
    NINETEEN + "!!" + "\u200b" * 10,  # zero-width spaces
    NINETEEN + "!!" + "   \t\n\u00a0\u3000\u2028\u2060\ufeff\u00ad\u200d\u202e",  # spaces, line breaks, format
    NINETEEN + "!!" + "\u034f\u3164\u2800\ufe0f\u115f\u1160\u17b4\U000e0101",  # letters and marks that draw nothing
    NINETEEN + "\U0001f600" * 2 + "!",  # an emoji is two code units in JavaScript, one character on the server
    "Crisis call" + "e\u0301" * 8,  # e and its accent typed apart: one letter after normalisation
    "Crisis call" + "\ufb01" * 4 + "!",  # the ligature fi is two letters after normalisation
    # Characters from Unicode 15 (Cyrillic modifier letters, Kawi): a browser knows them; a server whose Python
    # predates Unicode 15 does not, and counts none of them.
    NINETEEN + "!" + "\U0001e030" * 4 + "\U00011f04" * 4,
    NINETEEN + "!" + "\U0001e030" * 4 + "\U00011f04" * 4 + " " * 10,
    "Called the crisis line about this person tonight.",
]


def counted(page: Page) -> tuple[int, bool]:
    words = page.locator("#reason-count").inner_text()
    found = re.fullmatch(r"(\d+) characters?\. (That is enough\.|Write (\d+) more\.)", words)
    assert found, words
    count = int(found.group(1))
    if found.group(3):
        assert count + int(found.group(3)) == MIN_REASON, words
    return count, found.group(2) == "That is enough."


def test_the_reason_counter_counts_what_the_server_counts(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, DEMO_EMAILS["clinician"])
    page.goto(live_server.at("/caseload/emergency"))
    expect(page.locator("#reason-count")).to_have_text(f"0 characters. Write {MIN_REASON} more.")
    box = page.get_by_label("Reason", exact=True)
    for reason in REASONS:
        box.fill(reason)
        server = visible_length(reason)
        assert counted(page) == (server, server >= MIN_REASON), ascii(reason)
    # The padded reasons are the point: long enough by JavaScript's own length, short of the minimum on the server.
    assert sum(len(reason.strip()) >= MIN_REASON > visible_length(reason) for reason in REASONS) >= 5
    assert live_server.take_errors() == ""
