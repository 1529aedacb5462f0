"""Dates at the edge (issue 10, finding 6): every date a person can type into a GET filter, on every page that takes
no id, with the first and last day Python holds and a year it cannot hold. Each answers with the page or a form
error, never a server error. The date parameters are read from the forms themselves (every ``DateField`` and
``DateTimeLocalField`` of every form class), so a new filter is walked without anyone adding it here."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask import Flask
from wtforms import DateField, DateTimeLocalField
from wtforms.fields.core import UnboundField

from core.forms import FlaskForm, Form
from core.models import Role

EXTREMES = ("0001-01-01", "9999-12-31", "99999-01-01", "0000-00-00", "9999-12-31T23:59", "0001-01-01T00:00")
PACKAGES = ("core", "caseload", "readiness", "hiring", "training", "supervision")


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def date_parameters() -> set[str]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(info.name)
    names = set()
    for form in _all_subclasses(Form) | _all_subclasses(FlaskForm):
        for attribute in dir(form):
            value = getattr(form, attribute, None)
            if isinstance(value, UnboundField) and issubclass(value.field_class, DateField | DateTimeLocalField):
                names.add(attribute)
    return names


def test_the_walk_finds_the_date_filters():
    assert {"date_from", "date_to", "day", "start", "end"} <= date_parameters()


@pytest.mark.parametrize("extreme", EXTREMES)
def test_no_get_page_fails_on_an_extreme_date(app: Flask, client, db, login_as, extreme):
    login_as(Role.PRIVACY, Role.ADMIN, Role.SUPERVISOR, Role.STAFF)
    names = sorted(date_parameters())
    walked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith(("/logout", "/static")):
            continue
        response = client.get(rule.rule, query_string=dict.fromkeys(names, extreme))
        walked.append(rule.rule)
        assert response.status_code < 500, (rule.rule, extreme)
    assert "/caseload/safeguards/access-report" in walked
    assert "/caseload/safeguards/access-report.csv" in walked
    assert "/audit/" in walked


def form_date_fields() -> dict[str, set[str]]:
    """Each date field's name, with the prefixes a page may give its form (``determination-review_on``)."""
    names = date_parameters()
    return {name: {name, *(f"{prefix}-{name}" for prefix in ("determination", "consent", "client", "note"))}
            for name in names}


@pytest.mark.parametrize("extreme", EXTREMES)
def test_no_form_without_an_id_fails_on_an_extreme_date(app: Flask, client, db, login_as, extreme):
    """POST every form that needs no record id with every date field at the edge (other fields sensible)."""
    login_as(Role.PRIVACY, Role.ADMIN, Role.SUPERVISOR, Role.STAFF)
    data = {field: extreme for fields in form_date_fields().values() for field in fields}
    data |= {"name": "Edge Case", "reason": "A reason long enough to be read by anyone at all.", "purpose": "crisis",
             "source": "self", "urgency": "routine", "title": "Edge", "received_at": extreme}
    walked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.arguments or rule.rule.startswith(("/logout", "/login")):
            continue
        response = client.post(rule.rule, data=data)
        walked.append(rule.rule)
        assert response.status_code < 500, (rule.rule, extreme)
    assert "/caseload/emergency" in walked
