"""Every form derives from core.forms' bases, which refuse a NUL character in any text field with a message next
to the field (PostgreSQL cannot store one: without the check it would be a server error)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import wtforms
from sqlalchemy import func, select

import caseload
import core
import hiring
import readiness
from core import forms as core_forms
from core.extensions import db
from core.models import Role
from readiness.models import OpenAnswer, Response
from tests import factories
from tests.readiness.helpers import (
    full_answers,
    invitation_of,
    items_by_code,
    make_campaign,
    make_instrument,
    send,
    send_survey,
)

PACKAGES = (core, caseload, readiness, hiring)


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_every_form_of_the_app_derives_from_the_core_bases(app):  # the app imports every module
    for package in PACKAGES:
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    ours = [
        form for form in _all_subclasses(wtforms.Form)
        if form.__module__.split(".")[0] in {package.__name__ for package in PACKAGES}
        and form not in (core_forms.Form, core_forms.FlaskForm)
    ]
    assert len(ours) > 30, "the walk found the app's forms"
    strays = [f"{form.__module__}.{form.__qualname__}" for form in ours
              if not issubclass(form, core_forms.Form | core_forms.FlaskForm)]
    assert strays == []


def test_a_nul_in_a_text_field_is_a_message_not_a_server_error(app):
    class Sample(core_forms.Form):
        name = wtforms.StringField("Name")
        notes = wtforms.TextAreaField("Notes")
        secret = wtforms.PasswordField("Password")

    with app.test_request_context():
        form = Sample(data={"name": "Ro\x00bin", "notes": "fine", "secret": "pass\x00word"})
        assert not form.validate()
        assert form.errors == {"name": [core_forms.NUL_MESSAGE]}, "a password is never stored, so it is not checked"
        assert Sample(data={"name": "Robin", "notes": "Line one\nLine two", "secret": "x"}).validate()


@pytest.fixture
def survey(client, login_as):
    person = login_as(Role.PEER, teams=[factories.make_team()])
    instrument = make_instrument()
    campaign = make_campaign(instrument)
    send(campaign)
    db.session.commit()
    return instrument, invitation_of(campaign, person)


def test_a_nul_in_a_survey_answer_is_explained_and_nothing_is_stored(client, survey):
    instrument, invitation = survey
    data = full_answers(instrument)
    data[f"item_{items_by_code(instrument)['open'].id}"] = "More time\x00 to plan"

    response = send_survey(client, invitation, data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "hidden character we cannot use" in page
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert db.session.scalar(select(func.count()).select_from(OpenAnswer)) == 0


def test_a_nul_in_a_search_box_is_explained(client, login_as):
    login_as(Role.PEER)
    response = client.get("/caseload/resources?q=food%00bank")
    assert response.status_code == 400
    assert "hidden character we cannot use" in response.get_data(as_text=True)
