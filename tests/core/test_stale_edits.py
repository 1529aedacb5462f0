"""No edit is silently overwritten: every form of the app that edits a record refuses a stale save.

The forms are found, not listed: the demo agency is loaded, each demo account walks the app from its home page
(following links, and opening every GET route of ``app.url_map`` with ids taken from the demo data), and every
POST form carrying a ``version`` field (``core.forms.VersionField``) is recorded with the route it posts to.
For each such route the test does what a person with two tabs does: both tabs load the form, the first saves a
change, the second saves another change from the version it was loaded at. The second save must answer 409,
change nothing in the database, show the words typed in it again, and be sendable once more on purpose.

A companion check keeps the walk honest: every POST route whose endpoint says it edits (edit, rename, settings,
update, change, correct, policy) must have been found with a version, or be in ``EXEMPT`` with the reason it is
not an edit of an existing record. So a new module's edit screen cannot forget its version.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from core import demo, policy
from core.extensions import db
from core.models import Staff
from tests.core.security_helpers import (
    built_app,
    inspection_app,
    real_url,
    routes,
    signed_in_client,
    snapshot,
)
from tests.factories import start_session

pytestmark = pytest.mark.xdist_group("stale_edits")  # one demo agency and one walk, on one worker

VERSION_NAME = re.compile(r"(?:^|[-_])version$")  # VersionField "version", with a form prefix, or "base_version"
EDIT_WORDS = re.compile(r"(?:^|_)(?:edit|rename|settings|update|change|correct|policy)(?:_|$)")
NEW_WORDS = re.compile(r"(?:^|_)(?:new|add|create|copy)(?:_|$)")  # a form that makes a record, not an edit
# Tables a refused save may still write: the audit log (a refusal is kept) and the sign-in session (touched).
MAY_CHANGE = {"core_audit_entry", "core_audit_head", "core_auth_session"}
MAX_TRIES = 8  # fields tried per form until the first tab's save goes through
DOWNLOADS = (".pdf", ".csv", ".zip")  # files, not pages: they hold no form, and a PDF takes a second or more to render
PAGES_PER_ENDPOINT = 3  # per account: enough to meet a record in more than one state, few enough to stay quick

# POST routes whose name says "edit" but that do not change an existing record the person loaded into a form.
# Each needs its reason; keep this list short.
EXEMPT: dict[str, str] = {}

# Routes another engineer is converting right now (issue 8): the lead removes these marks at merge. Nothing else
# may be marked here.
BEING_FIXED: dict[str, str] = {}  # readiness's and caseload's edits were converted and merged; none left

INSPECTED = inspection_app()
POST_ENDPOINTS = sorted({rule.endpoint for rule in routes(INSPECTED, "POST")})
EDIT_ENDPOINTS = [endpoint for endpoint in POST_ENDPOINTS if EDIT_WORDS.search(endpoint.split(".", 1)[1])]


def _marked(endpoints: list[str]) -> list[object]:
    return [
        pytest.param(endpoint, marks=pytest.mark.xfail(reason=BEING_FIXED[endpoint], strict=True))
        if endpoint in BEING_FIXED
        else endpoint
        for endpoint in endpoints
    ]


# Reading forms the way a browser sends them ---------------------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # input type, "select", "select-multiple" or "textarea"
    value: str = ""
    values: list[str] = field(default_factory=list)  # a select's chosen options
    options: list[str] = field(default_factory=list)  # a select's every option
    checked: bool = False
    maxlength: int | None = None
    suggestions: str = ""  # the id of a text box's <datalist>


@dataclass
class Form:
    method: str
    action: str
    controls: list[Control] = field(default_factory=list)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, words)
    datalists: dict[str, list[str]] = field(default_factory=dict)  # the page's suggestion lists, by id

    def control(self, name: str) -> Control | None:
        return next((control for control in self.controls if control.name == name), None)

    @property
    def version_field(self) -> str | None:
        names = (c.name for c in self.controls if c.kind == "hidden")
        return next((name for name in names if VERSION_NAME.search(name)), None)

    @property
    def shows_words(self) -> bool:
        """The form shows a record's words to change (an edit), not only buttons or empty boxes (a new record)."""
        return any((control := self.control(name)) is not None and control.value.strip() for name in self.text_fields())

    def text_fields(self) -> list[str]:
        """Fields a person types words into: text areas first, then plain text boxes."""
        areas = [c.name for c in self.controls if c.kind == "textarea"]
        boxes = [c.name for c in self.controls if c.kind in ("text", "") and c.name != "csrf_token"]
        return areas + boxes

    def shown(self, name: str) -> str | None:
        """What the form shows in ``name``: the words in a box, the chosen option, the ticked radio button."""
        radios = [c for c in self.controls if c.name == name and c.kind == "radio"]
        if radios:
            return next((c.value for c in radios if c.checked), None)
        control = self.control(name)
        if control is None:
            return None
        if control.kind == "select":
            return control.values[0] if control.values else None
        return control.value

    def changes(self) -> Iterator[tuple[str, str, str]]:
        """(field, what the first tab enters, what the second tab enters), as a person would: words in a text box,
        then another suggestion, option or radio button. The second tab's choice differs from the first's; with
        only one other choice, the second tab keeps what was there (and would undo the first tab's change)."""

        def pair(name: str, current: str | None, choices: list[str]) -> Iterator[tuple[str, str, str]]:
            others = [choice for choice in dict.fromkeys(choices) if choice and choice != current]
            if len(others) >= 2:
                yield name, others[0], others[1]
            elif others and current:
                yield name, others[0], current

        for name in self.text_fields():
            control = self.control(name)
            assert control is not None
            if control.suggestions:
                yield from pair(name, control.value, self.datalists.get(control.suggestions, []))
            else:
                first, second = "First tab's words", "Second tab's words"
                limit = control.maxlength or len(second)
                yield name, first[:limit], second[:limit]
        for control in self.controls:
            if control.kind == "number" and re.fullmatch(r"-?\d+", control.value):
                number = int(control.value)
                yield control.name, str(number + 1), control.value
                yield control.name, str(number - 1), control.value
        for control in self.controls:
            if control.kind == "select":
                yield from pair(control.name, self.shown(control.name), control.options)
        for name in dict.fromkeys(c.name for c in self.controls if c.kind == "radio"):
            yield from pair(name, self.shown(name), [c.value for c in self.controls if c.name == name])

    def data(self, typed: dict[str, str]) -> MultiDict[str, str]:
        """What the browser sends: each control's value, ``typed`` replacing the named ones, and the first button
        that does not remove something, as if it was the one pressed."""
        sent: MultiDict[str, str] = MultiDict()
        for control in self.controls:
            if control.kind == "radio" and control.name in typed:
                if control.value == typed[control.name]:
                    sent.add(control.name, control.value)
            elif control.kind in ("checkbox", "radio"):
                if control.checked:
                    sent.add(control.name, control.value or "on")
            elif control.kind in ("select", "select-multiple"):
                for value in [typed[control.name]] if control.name in typed else control.values:
                    sent.add(control.name, value)
            elif control.kind not in ("file", "image", "reset", "submit", "button"):
                sent.add(control.name, typed.get(control.name, control.value))
        for name, value, words in self.buttons:
            if not re.search(r"remove|delete|cancel|end\b", words, re.IGNORECASE):
                if name:
                    sent.add(name, value)
                break
        return sent


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Control | None = None
        self._first_option: str | None = None
        self._option: str | None = None
        self._textarea: Control | None = None
        self._button: list[str] | None = None
        self.datalists: dict[str, list[str]] = {}
        self._datalist: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "datalist":
            self._datalist = self.datalists.setdefault(a.get("id", ""), [])
        elif tag == "option" and self._datalist is not None:
            self._datalist.append(a.get("value", ""))
        if tag == "form":
            self._form = Form(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in a:
            return
        maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self._form.buttons.append((a["name"], a.get("value", ""), a.get("value", "")))
                return
            self._form.controls.append(Control(
                a["name"], kind, a.get("value", ""), checked="checked" in a, maxlength=maxlength,
                suggestions=a.get("list", ""),
            ))
        elif tag == "input" and a.get("type", "").lower() == "submit":
            self._form.buttons.append(("", "", a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = Control(a["name"], "select-multiple" if "multiple" in a else "select")
            self._first_option = None
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            self._select.options.append(a.get("value", ""))
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._select.values.append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = Control(a["name"], "textarea", maxlength=maxlength)
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._button = [a.get("name", ""), a.get("value", ""), ""]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "datalist":
            self._datalist = None
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            if self._select.kind == "select" and not self._select.values and self._first_option is not None:
                self._select.values.append(self._first_option)  # a browser sends the first option
            self._form.controls.append(self._select)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            # A browser drops the one line break that follows <textarea> (WTForms writes one); so does this reader.
            self._textarea.value = re.sub(r"^\r?\n", "", self._textarea.value)
            self._form.controls.append(self._textarea)
            self._textarea = None
        elif tag == "button" and self._button is not None and self._form is not None:
            name, value, words = self._button
            self._form.buttons.append((name, value, words.strip()))
            self._button = None


def forms_on(page: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(page)
    for form in reader.forms:
        form.datalists = reader.datalists
    return reader.forms


LINK = re.compile(r'href="(/[^"#]*)"')


# The demo agency and the walk --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A form with a version field, found on ``page`` as ``account``, that posts to ``endpoint`` at ``action``."""

    endpoint: str
    account: str
    page: str
    action: str
    shows_words: bool  # an edit of a record's words, rather than an action button or a new record


@dataclass(frozen=True)
class Posting:
    """Any POST form (with a version field or not), found on ``page`` as ``account``: tests/core/test_fuzz_forms.py
    sends made-up input through it."""

    account: str
    page: str
    action: str
    form: Form


@dataclass
class Agency:
    app: Flask
    tokens: dict[str, str]
    found: dict[str, list[Found]] = field(default_factory=dict)
    posts: dict[str, list[Posting]] = field(default_factory=dict)  # every POST form, by the endpoint it posts to
    pages_seen: int = 0
    pages_per_endpoint: int = PAGES_PER_ENDPOINT
    once: bool = False  # True: each GET route is opened by the first account that reaches it, not by every account
    _opened: dict[str, int] = field(default_factory=dict)

    def client(self, account: str) -> FlaskClient:
        return signed_in_client(self.app, self.tokens[account])

    def post_endpoint(self, action: str) -> str | None:
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _values = adapter.match(urlsplit(action).path, method="POST")
        except HTTPException:
            return None
        return endpoint

    def walk(self, account: str) -> None:
        """Open every page ``account`` can reach from its home page and every GET route with demo ids."""
        client = self.client(account)
        adapter = self.app.url_map.bind("localhost")
        for endpoint, places in self.found.items():  # walking again: what this person found before may be gone
            self.found[endpoint] = [place for place in places if place.account != account]
        for endpoint, postings in self.posts.items():
            self.posts[endpoint] = [posting for posting in postings if posting.account != account]
        with self.app.app_context():
            person = db.session.scalar(select(Staff).filter_by(email=account))
            permission = {rule.endpoint: getattr(self.app.view_functions[rule.endpoint], "permission", "")
                          for rule in routes(self.app, "GET")}
            allowed = [  # a route the guard refuses shows no form; opening it would only fill the audit log
                rule for rule in routes(self.app, "GET")
                if permission[rule.endpoint] == policy.PUBLIC or policy.can(person, permission[rule.endpoint])
            ]
            db.session.remove()
            starts = ["/", *(real_url(self.app, rule, {}) for rule in allowed)]
        queue = list(dict.fromkeys(starts))
        seen: set[str] = set()
        per_endpoint: dict[str, int] = self._opened if self.once else {}
        while queue:
            url = queue.pop(0)
            if url in seen or url.startswith("/static/") or urlsplit(url).path.endswith(DOWNLOADS):
                continue
            seen.add(url)
            try:
                endpoint, _values = adapter.match(urlsplit(url).path, method="GET")
            except HTTPException:
                continue
            if per_endpoint.get(endpoint, 0) >= self.pages_per_endpoint:
                continue
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
            response = client.get(url)
            response.close()  # a streamed download keeps its request (and signed-in person) open until closed
            self.pages_seen += 1
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            page = response.get_data(as_text=True)
            for form in forms_on(page):
                if form.method != "post":
                    continue
                action = urljoin(url, html.unescape(form.action)) if form.action else url
                target = self.post_endpoint(action)
                if target is not None:
                    self.posts.setdefault(target, []).append(Posting(account, url, action, form))
                if target is not None and form.version_field is not None:
                    self.found.setdefault(target, []).append(Found(target, account, url, action, form.shows_words))
            queue.extend(html.unescape(link) for link in LINK.findall(page) if html.unescape(link) not in seen)


@pytest.fixture(scope="module")
def agency(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agency]:
    instance: Path = tmp_path_factory.mktemp("stale-edits-instance")
    with built_app(database_url, instance) as app:
        with app.app_context():
            demo.load(demo.demo_password())
            db.session.commit()
            tokens = {email: start_session(db.session.scalar(select(Staff).filter_by(email=email)))
                      for email in demo.DEMO_ACCOUNTS}
            db.session.remove()
        world = Agency(app, tokens)
        for account in demo.DEMO_ACCOUNTS:
            world.walk(account)
        print(f"\nForms with a version field, found in {world.pages_seen} pages:")  # shown with -s
        for endpoint, places in sorted(world.found.items()):
            if NEW_WORDS.search(endpoint.split(".", 1)[1]):
                kind = "makes a new record"
            else:
                kind = "edits words" if any(place.shows_words for place in places) else "no words to edit"
            print(f"  {endpoint} ({kind}): {places[0].page} as {places[0].account}")
        yield world


# The checks -----------------------------------------------------------------------------------------------------


def test_the_walk_finds_the_forms_it_should(agency: Agency):
    """The walk is not blind: the edit forms known to carry a version are found, each posting where it should."""
    assert {"admin.staff_detail", "admin.team_rename"} <= set(agency.found), sorted(agency.found)
    assert agency.pages_seen > 50


@pytest.mark.parametrize("endpoint", _marked(EDIT_ENDPOINTS))
def test_every_edit_route_is_covered_or_exempt(agency: Agency, endpoint: str):
    """A POST route that says it edits either has a form with a version (and is checked below) or a reason."""
    covered, exempt = endpoint in agency.found, endpoint in EXEMPT
    assert not (covered and exempt), f"{endpoint} is exempt but has a form with a version: take it off EXEMPT"
    assert covered or exempt, (
        f"{endpoint} edits a record, but no page the demo accounts can open has a form with a version field that "
        "posts to it: give the record a version (core.edits, core.forms.VersionField) and make sure the demo agency "
        "has one to edit, or add the route to EXEMPT with the reason it is not an edit of an existing record"
    )


def test_every_route_with_a_version_form_is_checked(agency: Agency):
    """Forms with a version field that post to a route not named like an edit are checked too (below)."""
    assert set(agency.found) <= set(POST_ENDPOINTS)


def _form_at(client: FlaskClient, found: Found) -> Form | None:
    """The form as a tab shows it now (fresh version), found by where it posts; None when it is gone."""
    response = client.get(found.page)
    if response.status_code != 200:
        return None
    for form in forms_on(response.get_data(as_text=True)):
        action = urljoin(found.page, html.unescape(form.action)) if form.action else found.page
        if form.method == "post" and form.version_field is not None and action == found.action:
            return form
    return None


def _form_shown_again(page: str, found: Found, name: str) -> tuple[Form, str] | None:
    """The form on a 409 page, with where it posts: the same form, or (when the record now lives at another address,
    e.g. a survey replaced by its new version) the form with a version field and the same field."""
    candidates = []
    for form in forms_on(page):
        target = urljoin(found.action, html.unescape(form.action)) if form.action else found.action
        if form.method == "post" and form.version_field is not None and form.shown(name) is not None:
            candidates.append((target != found.action, form, target))
    if not candidates:
        return None
    _elsewhere, form, target = min(candidates, key=lambda candidate: candidate[0])
    return form, target


def _two_tabs(agency: Agency, places: list[Found], tried: list[str]) -> bool:
    """Play the two tabs on the first place and field where the first tab's save goes through; False when none
    did (each attempt is noted in ``tried``)."""
    for found in places:
        client = agency.client(found.account)
        shown = _form_at(client, found)
        if shown is None:
            tried.append(f"{found.page}: the form is no longer there")
            continue
        for name, first_value, second_value in list(shown.changes())[:MAX_TRIES]:
            first_tab, second_tab = _form_at(client, found), _form_at(client, found)  # both at the version now
            assert first_tab is not None, f"the form on {found.page} went away"
            assert second_tab is not None, f"the form on {found.page} went away"
            untouched = snapshot(agency.app, skip=MAY_CHANGE)
            saved = client.post(found.action, data=first_tab.data({name: first_value}))
            if saved.status_code not in (302, 303):
                tried.append(f"{found.page} field {name}: the first save answered {saved.status_code}")
                continue
            before = snapshot(agency.app, skip=MAY_CHANGE)
            if before == untouched:  # e.g. options on a question that has none: the second tab is not stale
                tried.append(f"{found.page} field {name}: the first save changed nothing")
                continue

            stale = client.post(found.action, data=second_tab.data({name: second_value}))
            after = snapshot(agency.app, skip=MAY_CHANGE)
            page = stale.get_data(as_text=True)

            assert stale.status_code == 409, (
                f"a second tab's save to {found.action} (loaded at the old version) answered {stale.status_code}: "
                "the first tab's change was silently overwritten"
            )
            changed = sorted(table for table in before if before[table] != after[table])
            assert not changed, f"the refused save to {found.action} changed {changed}"
            shown_again = _form_shown_again(page, found, name)
            assert shown_again is not None, f"the 409 page of {found.action} does not show the form again"
            again_form, again_action = shown_again
            assert again_form.shown(name) == second_value, (
                f"the 409 page of {found.action} does not show what was entered in {name} again"
            )
            again = client.post(again_action, data=again_form.data({}))
            assert again.status_code in (302, 303), (
                f"sending the 409 page of {found.action} again answered {again.status_code}: it should carry the "
                "version saved now, so the person can overwrite on purpose after checking"
            )
            return True
    return False


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_a_stale_save_is_refused_with_the_input_kept(agency: Agency, endpoint: str):
    """Two tabs load the same form; the first saves; the second, still at the old version, must be refused (409)
    with nothing changed and its typed words shown again; sending it again then is a deliberate overwrite."""
    if endpoint not in agency.found:
        pytest.skip("no form with a version field posts here (see test_every_edit_route_is_covered_or_exempt)")
    if NEW_WORDS.search(endpoint.split(".", 1)[1]):
        pytest.skip("it makes a new record; the version it carries is of the record it is added to")
    edits_by_name = bool(EDIT_WORDS.search(endpoint.split(".", 1)[1]))
    places = [place for place in agency.found[endpoint] if place.shows_words or edits_by_name]
    if not places:
        pytest.skip("its forms carry a version but show no words to change (an action button)")
    tried: list[str] = []
    if not _two_tabs(agency, places, tried):
        # Another check's save may have moved records on (a survey edited after answers becomes a new version at a
        # new address): walk again as the same people and try the forms found now.
        for account in dict.fromkeys(place.account for place in places):
            agency.walk(account)
        places = [place for place in agency.found.get(endpoint, []) if place.shows_words or edits_by_name]
        if not _two_tabs(agency, places, tried):
            pytest.fail(f"no field of a form posting to {endpoint} could be saved once, so the check could not run: "
                        + "; ".join(tried))


def test_the_form_reader_sends_what_a_browser_sends():
    """The walk is only as good as its reading of forms: check it on one form with every kind of control."""
    page = """
    <form method="post" action="/things/1/edit">
      <input type="hidden" name="version" value="3">
      <input type="text" name="title" value="Old title" maxlength="12">
      <textarea name="notes">\r\nFirst line</textarea>
      <input type="text" name="zone" value="America/New_York" list="zones">
      <datalist id="zones"><option value="America/New_York"><option value="America/Chicago">
        <option value="Pacific/Honolulu"></datalist>
      <select name="owner"><option value="">Nobody</option><option value="7" selected>Sam</option>
        <option value="9">Pat</option></select>
      <input type="radio" name="policy" value="strict"><input type="radio" name="policy" value="open" checked>
      <input type="checkbox" name="teams" value="1" checked><input type="checkbox" name="teams" value="2">
      <input type="text" name="locked" value="x" disabled>
      <button type="submit" name="remove" value="1">Remove</button>
      <button type="submit">Save</button>
    </form>
    <form method="get" action="/search"><input type="search" name="q"></form>
    """
    [form, search] = forms_on(page)
    assert (form.method, form.action, form.version_field, search.version_field) == ("post", "/things/1/edit",
                                                                                    "version", None)
    assert form.shows_words
    assert form.data({}) == MultiDict([("version", "3"), ("title", "Old title"), ("notes", "First line"),
                                       ("zone", "America/New_York"), ("owner", "7"), ("policy", "open"),
                                       ("teams", "1")])
    assert list(form.changes()) == [
        ("notes", "First tab's words", "Second tab's words"),
        ("title", "First tab's ", "Second tab's"),  # cut to the box's maxlength
        ("zone", "America/Chicago", "Pacific/Honolulu"),
        ("owner", "9", "7"),  # one other choice: the second tab keeps what was there
        ("policy", "strict", "open"),
    ]
    assert form.data({"policy": "strict", "owner": "9"}).getlist("policy") == ["strict"]
    assert form.data({"policy": "strict", "owner": "9"})["owner"] == "9"
    assert [form.shown(name) for name in ("title", "notes", "owner", "policy")] == ["Old title", "First line",
                                                                                     "7", "open"]
