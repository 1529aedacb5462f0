"""The PDF report of a campaign's results: a real PDF, the same numbers as the results page, the same groups
hidden, and only for HR and admin."""

from __future__ import annotations

import re
import subprocess

import pytest
import sqlalchemy as sa

from core import settings
from core.extensions import db
from core.models import Role, Team
from readiness.models import Campaign, Instrument, ItemKind, RoleGroup
from readiness.services.answering import record_response
from tests import factories
from tests.readiness.helpers import invite_team, items_by_code, make_campaign, make_instrument, today


def many(
    campaign: Campaign, instrument: Instrument, n: int, *, team: Team, r1: int, r2: int, f1: int
) -> None:
    """Store ``n`` anonymous responses, as a survey send does."""
    items = items_by_code(instrument)
    answers: list[tuple[int, int, str | None]] = [
        (items["r1"].id, r1, None), (items["r2"].id, r2, None), (items["f1"].id, f1, None), (items["fmt"].id, 1, None),
    ]
    for _ in range(n):
        record_response(
            campaign_id=campaign.id, team_id=team.id, role_group=RoleGroup.CLINICAL, tenure_band="unsaid",
            submitted_on=today(), answers=answers,
        )


def pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    return done.stdout.decode()


@pytest.fixture
def instrument(db) -> Instrument:  # db: the fixture that sets up the database
    return make_instrument()


@pytest.fixture
def campaign(instrument: Instrument) -> Campaign:
    """Tiny (4 people, 3 answers) is too small to be shown with a minimum of 5, so Tiny and the next smallest team
    (North) are hidden. Tiny scores 38 on the peer role ((2 + 3) / 2 = 2.5 -> 37.5); the organization scores 66
    and 69."""
    campaign = make_campaign(instrument, name="Spring readiness check", closed=True)
    tiny, north, south = (factories.make_team(name=name) for name in ("Tiny", "North", "South"))
    for team, people in ((tiny, 4), (north, 9), (south, 10)):
        invite_team(campaign, team, people)
    many(campaign, instrument, 3, team=tiny, r1=2, r2=3, f1=3)
    many(campaign, instrument, 6, team=north, r1=5, r2=1, f1=1)
    many(campaign, instrument, 7, team=south, r1=3, r2=3, f1=3)
    db.session.commit()
    return campaign


def get_pdf(client, campaign_id: int) -> bytes:
    response = client.get(f"/readiness/campaigns/{campaign_id}/results.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="readiness-{campaign_id}-results.pdf"'
    return response.get_data()


def test_the_pdf_shows_what_the_results_page_shows(client, login_as, campaign):
    login_as(Role.HR)
    html = client.get(f"/readiness/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert f'href="/readiness/campaigns/{campaign.id}/results.pdf"' in html
    assert "Download the PDF report" in html
    assert ">66<" in html  # the organization's scores on the page
    assert ">69<" in html

    data = get_pdf(client, campaign.id)

    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Spring readiness check" in " ".join(text.split()), "the title (a long title may wrap)"
    assert "Baseline" in text
    assert "The peer role" in text
    lines = text.splitlines()
    # The organization's table, turned: a column for the organization, a row per domain.
    start = next(n for n, line in enumerate(lines) if line.split() == ["Domain", "Whole", "organization"])
    table = [re.findall(r"\d+", line) for line in lines[start + 1:start + 6] if line.strip()]
    assert table == [["16"], ["66"], ["69"]], "answers, then the score of each domain"
    assert "In person" in text  # a distribution


def test_a_hidden_team_has_no_score_in_the_pdf(client, login_as, campaign):
    login_as(Role.HR)
    text = pdf_text(get_pdf(client, campaign.id))

    assert "Too few answers to show" in text
    tiny = [line for line in text.splitlines() if "Tiny" in line]
    assert tiny
    assert all("Too few answers to show" in line or "Fewer than 5 answers, or hidden" in line for line in tiny)
    assert not re.search(r"\b38\b", text), "Tiny's hidden score is not printed"
    lines = text.splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("Domain") and "South" in line)
    assert "North" not in lines[header], "only South is a column"
    assert "Tiny" not in lines[header], "only South is a column"
    column = [re.findall(r"\b\d+\b", line) for line in lines[header + 1:header + 6] if line.strip()]
    assert column == [["7"], ["50"], ["50"]], "South: 7 answers, 50 and 50"

    # With a minimum of 3 nobody is hidden, and Tiny's score is printed: the check above can fail.
    settings.put("readiness_min_cell", "3")
    db.session.commit()
    text = pdf_text(get_pdf(client, campaign.id))
    assert re.search(r"\b38\b", text)
    assert not re.search(r"Too few answers to show: \S+: ", text), "no team is hidden (role groups still are)"


def test_the_pdf_shows_the_change_since_the_earlier_wave(client, login_as, instrument, campaign):
    later = make_campaign(instrument, name="Spring readiness check", wave="Follow-up", closed=True)
    later.copied_from_id = campaign.id
    south = db.session.execute(sa.select(Team).where(Team.name == "South")).scalar_one()
    many(later, instrument, 7, team=south, r1=5, r2=1, f1=1)
    db.session.commit()
    login_as(Role.ADMIN)

    text = pdf_text(get_pdf(client, later.id))

    assert "Change since Baseline" in text
    assert "+50" in text  # South: 50 -> 100


@pytest.mark.parametrize("role", [Role.STAFF, Role.PEER, Role.SUPERVISOR, Role.PRIVACY])
def test_only_hr_and_admin_get_the_pdf(client, login_as, campaign, role):
    login_as(role)
    assert client.get(f"/readiness/campaigns/{campaign.id}/results.pdf").status_code == 403


def test_a_missing_campaign_is_not_found(client, login_as, db):  # db: the fixture that sets up the database
    login_as(Role.HR)
    assert client.get("/readiness/campaigns/99999/results.pdf").status_code == 404


def test_every_domain_of_the_default_survey_fits_on_the_page(client, login_as, db):  # db: sets up the database
    """The survey that ships with PeerWorks scores 10 domains with long names: the report turns its tables (a row
    per domain) on a landscape page, so every domain's name and score can be read, for every group and the
    change."""
    from readiness.services.default_instrument import ensure_default_instrument
    from readiness.services.instruments import load_contents, scored_domains

    hr = login_as(Role.HR)
    instrument = load_contents(ensure_default_instrument(hr).id)
    likert = [item for item in instrument.items if item.kind == ItemKind.LIKERT]
    teams = [factories.make_team(name=name) for name in ("Day program", "Inpatient unit")]
    earlier = make_campaign(instrument, name="Readiness check", wave="Baseline", closed=True)
    campaign = make_campaign(instrument, name="Readiness check", wave="Follow-up", closed=True)
    campaign.copied_from_id = earlier.id
    for wave, value in ((earlier, 2), (campaign, 4)):
        for team in teams:
            invite_team(wave, team, 12)
            for role in (RoleGroup.CLINICAL, RoleGroup.PEER):
                for _ in range(5):
                    record_response(
                        campaign_id=wave.id, team_id=team.id, role_group=role, tenure_band="unsaid",
                        submitted_on=today(),
                        answers=[(item.id, 6 - value if item.reversed else value, None) for item in likert],
                    )
    db.session.commit()

    text = pdf_text(get_pdf(client, campaign.id))

    lines = text.splitlines()
    domains = scored_domains(instrument)
    assert len(domains) == 10
    for domain in domains:
        rows = [line for line in lines if domain.name in line]
        assert rows, f"{domain.name!r} is not in the PDF's text"
        # its row in each table, with its scores: 75 now (25 at baseline), so +50 in the change since then
        numbers = [re.findall(r"\b\d+\b", line.split(domain.name, 1)[1]) for line in rows]
        assert ["75"] in numbers, f"{domain.name}: the organization's score, on the domain's line"
        assert ["75", "75"] in numbers, f"{domain.name}: both teams' scores, on the domain's line"
        assert any("+50" in line for line in rows), f"{domain.name}: its change since the baseline"
