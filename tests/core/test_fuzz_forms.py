"""Made-up input through every form of the app: no server error, and no script of the input sent back unescaped.

The forms are found the way tests/core/test_stale_edits.py finds them (the demo agency, each demo account walking
the app from its home page and every GET route of ``app.url_map``), here keeping every POST form, whether it has a
version field or not. For each POST route, hypothesis builds submissions from the form as a browser would send it:
each field kept, replaced by something valid-looking or odd (unicode, NUL, very long text, HTML and script
payloads, huge and negative numbers, dates out of range), left out or sent twice, an unknown field added, any of the
form's buttons pressed. Each submission is sent as the person who found the form, redirects followed, and:

- no answer is a server error (5xx) and nothing is logged at ERROR or above (an exception a view caught and logged);
- no HTML answer holds one of the script payloads unescaped.

``make test`` sends ``EXAMPLES_IN_SUITE`` submissions per route, the same ones every run (``derandomize``);
``make fuzz`` sends ``PEERWORKS_FUZZ_EXAMPLES`` (1,000) new random ones per route. A route no demo account reaches a
form for (a sign-in step, a token link) gets the same treatment with the fields of the form its GET page shows, or
with common field names. Each route's submissions run in one savepoint, rolled back after it.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from core import demo, policy
from core.extensions import db
from core.models import Staff
from tests.core.security_helpers import inspection_app, real_url, routes, signed_in_client
from tests.core.test_stale_edits import Agency, Control, Form, Posting, forms_on
from tests.factories import start_session

EXAMPLES_IN_SUITE = 3
EXAMPLES = int(os.environ.get("PEERWORKS_FUZZ_EXAMPLES", EXAMPLES_IN_SUITE))
LONG_MODE = EXAMPLES > EXAMPLES_IN_SUITE
# A part of the app, for the long mode: "caseload." or "hiring.posting_edit,careers.apply" (names or their starts)
ONLY = tuple(part.strip() for part in os.environ.get("PEERWORKS_FUZZ_ONLY", "").split(",") if part.strip())
PAGES_PER_ENDPOINT = 1  # one page per GET route and account finds one form of each kind: enough to fuzz through

SCRIPTS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>")
UNESCAPED = ("<script>alert(1)", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>")
COMMON_FIELDS = ("name", "email", "password", "code", "reason", "text", "title", "date", "version", "confirm")

WALK_ORDER = ("peer@example.org", "clinician@example.org", "supervisor@example.org", "privacy@example.org",
              "hr@example.org", "admin@example.org")
INSPECTED = inspection_app()
POST_ENDPOINTS = sorted(
    endpoint
    for endpoint in {rule.endpoint for rule in routes(INSPECTED, "POST")}
    if not ONLY or endpoint.startswith(ONLY)
)


# What a submission is made of ------------------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64).map(str),
    st.sampled_from(["0", "-1", "2147483648", "9" * 40, "1e308", "-1e999", "nan", "inf", "0x1F", "1_000", "٣", "½"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
DATES = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from([
        "0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "2026-13-01", "1969-12-31", "-0001-01-01",
        "2026-03-08T02:30", "2026-11-01T01:30", "9999-12-31T23:59", "0000-00-00", "2026-06-31T25:61", "12/31/2026",
    ]),
)
ODD_TEXT = st.one_of(
    st.sampled_from(SCRIPTS),
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\u202e\u0000", "\ufeff", "\ud7ff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ǅ", "ß" * 3,
                     "\r\n\r\n"]),
    st.integers(min_value=256, max_value=70_000).map(lambda n: "x" * n),
    st.sampled_from(SCRIPTS).map(lambda payload: "A plain sentence " + payload),
    NUMBERS,
    DATES,
)
VALID_LOOKING = st.sampled_from(
    ["A plain sentence.", "Pat Delgado", "someone.new@example.org", "30", "1", "2026-12-01", "2026-12-01T09:30",
     "yes", "on", "y", "peerworks-demo-password-2026"]
)


def plausible(control: Control, options: list[str]) -> st.SearchStrategy[str]:
    """A value a person could well type into this field, by its kind and name, so the other fields of a submission
    pass and the odd one reaches the service's rules."""
    name = control.name.lower()
    if options:
        return st.sampled_from([option for option in options if option] or options)
    if control.kind == "date" or name.endswith(("_on", "date", "_from", "_to", "_until")):
        return st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)).map(date.isoformat)
    if control.kind == "datetime-local" or name.endswith("_at"):
        return st.sampled_from(["2026-11-16T09:30", "2026-12-01T14:00", "2027-01-04T08:15"])
    if control.kind == "time":
        return st.sampled_from(["09:30", "14:00"])
    if control.kind == "number" or any(word in name for word in ("minutes", "hours", "count", "months", "days")):
        return st.integers(min_value=0, max_value=120).map(str)
    if control.kind == "email" or "email" in name:
        return st.sampled_from(["someone.new@example.org", "pat.new@example.org"])
    if "password" in name:
        return st.just("a long and unusual passphrase 2026")
    return st.sampled_from(["A plain sentence.", "Pat Delgado", "Tuesday WRAP group", "Main Street YMCA"])


@st.composite
def control_value(draw: st.DrawFn, control: Control, options: list[str]) -> list[str]:
    """What is sent for one field: nothing, one value or two."""
    kept = [control.value] if control.kind not in ("select", "select-multiple") else control.values or options[:1]
    if control.kind in ("checkbox", "radio"):
        kept = [control.value or "on"] if control.checked else []
    one = st.one_of(st.sampled_from(options) if options else VALID_LOOKING, VALID_LOOKING, ODD_TEXT)
    if control.kind == "hidden":  # mostly as the page sent it (a version), so the request reaches the form's rules
        choice = draw(st.sampled_from(["kept"] * 4 + ["one", "missing", "twice"]))
    else:
        choice = draw(st.sampled_from(["kept", "one", "one", "one", "missing", "twice"]))
    if choice == "kept":
        return kept
    if choice == "missing":
        return []
    if choice == "twice":
        return [draw(one), draw(one)]
    return [draw(one)]


@st.composite
def submission(draw: st.DrawFn, form: Form) -> MultiDict[str, str]:
    sent: MultiDict[str, str] = MultiDict()
    names = list(dict.fromkeys(control.name for control in form.controls if control.kind not in ("file", "image")))
    # Half the submissions change one field only and fill the others plausibly: they pass the form and reach the
    # service's rules with one odd value; the other half change any field.
    odd_one = draw(st.sampled_from([None, *names])) if names and draw(st.booleans()) else None
    for name in names:
        controls = [control for control in form.controls if control.name == name]
        options = [*(c.value for c in controls if c.kind in ("radio", "checkbox")), *controls[0].options]
        if odd_one is not None and name != odd_one:
            kept = [c for c in controls if c.checked] if controls[0].kind in ("radio", "checkbox") else controls[:1]
            if controls[0].kind == "hidden" or any(c.value or c.values for c in kept):
                values = [v for c in kept for v in (c.values or [c.value or "on"])]
            else:
                values = [draw(plausible(controls[0], options))]
        elif controls[0].kind == "checkbox" and len(controls) > 1:  # a list of boxes: tick any of them
            chosen = draw(st.lists(st.sampled_from(options), max_size=len(options) + 1))
            values = chosen if draw(st.booleans()) else draw(control_value(controls[0], options))
        elif controls[0].kind == "radio":
            radio = next((c for c in controls if c.checked), controls[0])
            values = draw(control_value(radio, options))
        else:
            values = draw(control_value(controls[0], options))
        for value in values:
            sent.add(name, value)
    for control in form.controls:
        if control.kind == "file" and draw(st.booleans()):
            name = draw(st.sampled_from(["paper.pdf", "<script>alert(1)</script>.pdf", "../../etc/passwd", "a\x00.csv",
                                         "", "people.csv", "x" * 300 + ".pdf"]))
            content = draw(st.one_of(st.binary(max_size=2000), st.sampled_from([
                b"%PDF-1.4\n" + SCRIPTS[0].encode(), b"name,email\n" + SCRIPTS[1].encode() + b",a@b.c\n",
                "name,email\nZoë,zoë@example.org\n".encode("utf-16"), b"\xff\xfe\x00", b"=cmd|' /C calc'!A0,x\n",
            ])))
            sent.add(control.name, (io.BytesIO(content), name))  # type: ignore[arg-type]  # a file, as a browser
    if form.buttons:
        button, value, _words = draw(st.sampled_from(form.buttons))
        if button:
            sent.add(button, value)
    if draw(st.integers(0, 9)) == 0:
        sent.add(draw(st.sampled_from(["unknown", "id", "staff_id", "roles", "version", "__proto__"])), draw(ODD_TEXT))
    return sent


# The agency and the forms ----------------------------------------------------------------------------------------


@dataclass
class Target:
    """Where one POST route is fuzzed: as whom, at which address, from which form."""

    account: str | None  # None: not signed in
    action: str
    form: Form
    fallback: bool = False  # no walk reached a form posting here


@dataclass
class Fuzzed:
    app: Flask
    targets: dict[str, Target] = field(default_factory=dict)


def _fallback(agency: Agency, endpoint: str) -> Target:
    """A POST route no walk reached a form for: the form its own address shows (as a person allowed there, or
    signed out), else the common field names."""
    rule = next(rule for rule in routes(agency.app, "POST") if rule.endpoint == endpoint)
    url = real_url(agency.app, rule, {})
    permission = getattr(agency.app.view_functions[endpoint], "permission", policy.PUBLIC)
    account = None
    if permission != policy.PUBLIC:
        with agency.app.app_context():
            for email in demo.DEMO_ACCOUNTS:
                if policy.can(db.session.scalar(select(Staff).filter_by(email=email)), permission):
                    account = email
                    break
            db.session.remove()
    client = agency.client(account) if account else agency.app.test_client()
    response = client.get(url)
    page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    form = next((form for form in forms_on(page) if form.method == "post"), None)
    if form is None:
        form = Form("post", url, [Control(name, "text") for name in COMMON_FIELDS])
    return Target(account, url, form, fallback=True)


@pytest.fixture(scope="module")
def fuzzed(module_transaction: Flask) -> Fuzzed:
    app = module_transaction
    with app.app_context():
        demo.load(demo.demo_password())
        db.session.commit()
        tokens = {email: start_session(db.session.scalar(select(Staff).filter_by(email=email)))
                  for email in demo.DEMO_ACCOUNTS}
        db.session.remove()
    # Each GET route is opened once, by the first account that reaches it (the stale-edit walk opens it as every
    # account): the walk is most of this test's time. The accounts with the fewest routes go first, so a form only
    # their role sees on a page others open too (a note on a client's page) is found as them.
    agency = Agency(app, tokens, pages_per_endpoint=PAGES_PER_ENDPOINT, once=True)
    for account in WALK_ORDER:
        agency.walk(account)
    built = Fuzzed(app)
    for endpoint in POST_ENDPOINTS:
        postings: list[Posting] = agency.posts.get(endpoint, [])
        if postings:  # the form with the most fields: the most to fuzz
            posting = max(postings, key=lambda posting: len(posting.form.controls))
            built.targets[endpoint] = Target(posting.account, posting.action, posting.form)
        else:
            built.targets[endpoint] = _fallback(agency, endpoint)
    return built


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged_errors(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Errors]:
    # On PostgreSQL the migrations' logging.config.fileConfig switched the loggers that existed then off.
    monkeypatch.setattr(app.logger, "disabled", False)
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


def _browser(app: Flask, account: str | None) -> FlaskClient:
    if account is None:
        return app.test_client()
    with app.app_context():
        token = start_session(db.session.scalar(select(Staff).filter_by(email=account)))
        db.session.remove()
    return signed_in_client(app, token)


def problems_with(response_chain: list[TestResponse], errors: _Errors) -> list[str]:
    """Server errors, scripts sent back unescaped and errors logged, in words."""
    found = []
    for response in response_chain:
        where = f"{response.request.method} {urlsplit(response.request.url).path}"
        if response.status_code >= 500:
            found.append(f"{where} answered {response.status_code}")
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            found += [f"{where} sent {payload!r} back unescaped" for payload in UNESCAPED if payload in page]
    found += [f"logged: {record.getMessage()} {record.exc_info[1]!r}" if record.exc_info else
              f"logged: {record.getMessage()}" for record in errors.records]
    return found


# The check -------------------------------------------------------------------------------------------------------

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=not LONG_MODE,  # make test: the same submissions every run; make fuzz: new ones each time
    deadline=None,
    database=None,  # nothing written to .hypothesis/
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_made_up_input_never_breaks_a_form(fuzzed: Fuzzed, app: Flask, logged_errors: _Errors, endpoint: str):
    target = fuzzed.targets[endpoint]

    @FUZZ_SETTINGS
    @given(sent=submission(target.form))
    def send(sent: MultiDict[str, str]) -> None:
        logged_errors.records.clear()
        client = _browser(app, target.account)
        response = client.post(target.action, data=sent, follow_redirects=True)
        chain = [*response.history, response]
        found = problems_with(chain, logged_errors)
        for answer in chain:
            answer.close()
        assert not found, f"POST {target.action} as {target.account} with {dict(sent.lists())!r}:\n" + "\n".join(found)

    send()


def test_the_fuzzer_reaches_the_forms(fuzzed: Fuzzed):
    """Most routes are fuzzed through a form a person really reaches, with its real fields."""
    walked = [endpoint for endpoint, target in fuzzed.targets.items() if not target.fallback]
    print(f"\nFuzzed through a form found by the walk: {len(walked)} of {len(POST_ENDPOINTS)} POST routes; others:",
          sorted(set(POST_ENDPOINTS) - set(walked)))  # shown with -s
    # The others are buttons on pages of records in a state the demo has few of, and the sign-in steps and token
    # links: they are fuzzed through the form their own address shows, or the common field names.
    assert len(walked) >= 0.65 * len(POST_ENDPOINTS), sorted(set(POST_ENDPOINTS) - set(walked))


def test_the_checks_can_fail():
    """A page that sends input back unescaped, and one that fails, are both caught (a probe app, not PeerWorks)."""
    probe = Flask("probe")

    @probe.post("/echo")
    def echo() -> str:
        return "<p>" + request.form["words"] + "</p>"  # unescaped on purpose

    @probe.post("/fail")
    def fail() -> tuple[str, int]:
        logging.getLogger("probe").error("something broke")
        return "Sorry", 500

    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        client = probe.test_client()
        echoed = client.post("/echo", data={"words": SCRIPTS[1]})
        escaped = client.post("/echo", data={"words": str(escape(SCRIPTS[1]))})
        assert problems_with([escaped], errors) == []
        assert problems_with([echoed], errors) == ['POST /echo sent \'<img src=x onerror=alert(1)>\' back unescaped']
        failed = client.post("/fail")
        assert problems_with([failed], errors) == ["POST /fail answered 500", "logged: something broke"]
    finally:
        logging.getLogger().removeHandler(errors)
