"""The public careers page: no sign-in, open postings only, filters by program and setting, and each posting's
schema.org JobPosting (the properties search engines require, each one a real JobPosting property)."""

from __future__ import annotations

import json
import re

from hiring.models import Posting
from hiring.services import postings
from tests.hiring.helpers import draft, published, save, team_with_peers

# JobPosting's properties and those it inherits from Thing (https://schema.org/JobPosting), as of schema.org 29.
JOB_POSTING_PROPERTIES = {
    "applicantLocationRequirements",
    "applicationContact",
    "baseSalary",
    "benefits",
    "datePosted",
    "directApply",
    "educationRequirements",
    "eligibilityToWorkRequirement",
    "employerOverview",
    "employmentType",
    "employmentUnit",
    "estimatedSalary",
    "experienceInPlaceOfEducation",
    "experienceRequirements",
    "hiringOrganization",
    "incentiveCompensation",
    "incentives",
    "industry",
    "jobBenefits",
    "jobImmediateStart",
    "jobLocation",
    "jobLocationType",
    "jobStartDate",
    "occupationalCategory",
    "physicalRequirement",
    "qualifications",
    "relevantOccupation",
    "responsibilities",
    "salaryCurrency",
    "securityClearanceRequirement",
    "sensoryRequirement",
    "skills",
    "specialCommitments",
    "title",
    "totalJobOpenings",
    "validThrough",
    "workHours",
    "additionalType",
    "alternateName",
    "description",
    "disambiguatingDescription",
    "identifier",
    "image",
    "mainEntityOfPage",
    "name",
    "potentialAction",
    "sameAs",
    "subjectOf",
    "url",
}
REQUIRED = {
    "title",
    "description",
    "datePosted",
    "validThrough",
    "employmentType",
    "hiringOrganization",
    "jobLocation",
    "baseSalary",
}
EMPLOYMENT_TYPES = {"FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "VOLUNTEER", "PER_DIEM", "OTHER"}


def json_ld(page: str) -> dict:
    [block] = re.findall(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', page, re.S)
    return json.loads(block)


def test_the_careers_page_lists_open_postings_without_sign_in(client, db):
    shown = published(title="Peer Specialist, day program")
    draft(title="A draft nobody should see")
    closed = published(title="A closed job")
    postings.move(
        closed, "close", "Filled.", closed.version, postings.current_version(closed).created_by, agency_ready=True
    )
    db.session.commit()
    response = client.get("/careers/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Peer Specialist, day program" in page
    assert f'href="/careers/{shown.id}"' in page
    assert "A draft nobody should see" not in page
    assert "A closed job" not in page
    assert "Sign out" not in page


def test_filters_by_program_and_setting(client, db):
    team_a, team_b = team_with_peers(1), team_with_peers(1)
    published(team=team_a, title="Community job", setting="community")
    published(team=team_b, title="Housing job", setting="housing")
    db.session.commit()
    page = client.get(f"/careers/?program={team_a.program_id}").get_data(as_text=True)
    assert "Community job" in page
    assert "Housing job" not in page
    page = client.get("/careers/?setting=housing").get_data(as_text=True)
    assert "Housing job" in page
    assert "Community job" not in page
    page = client.get(f"/careers/?program={team_a.program_id}&setting=housing").get_data(as_text=True)
    assert "No jobs open with these choices" in page
    assert client.get("/careers/?program=abc&setting=moon").status_code == 200


def test_a_posting_page_carries_a_valid_job_posting(client, db):
    posting = published(title="Peer Specialist", schedule="Weekdays, 8 to 4:30")
    db.session.commit()
    response = client.get(f"/careers/{posting.id}")
    assert response.status_code == 200
    data = json_ld(response.get_data(as_text=True))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "JobPosting"
    assert set(data) >= REQUIRED
    assert set(data) - {"@context", "@type"} <= JOB_POSTING_PROPERTIES
    assert data["employmentType"] in EMPLOYMENT_TYPES
    assert data["hiringOrganization"] == {"@type": "Organization", "name": "Harbor Valley Behavioral Health"}
    address = data["jobLocation"]["address"]
    assert data["jobLocation"]["@type"] == "Place"
    assert address["@type"] == "PostalAddress"
    assert (address["addressLocality"], address["addressRegion"], address["addressCountry"]) == (
        "New Haven",
        "CT",
        "US",
    )
    salary = data["baseSalary"]
    assert salary["@type"] == "MonetaryAmount"
    assert salary["currency"] == "USD"
    assert salary["value"] == {"@type": "QuantitativeValue", "unitText": "HOUR", "minValue": 26.0, "maxValue": 30.0}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", data["datePosted"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT23:59:59[-+]\d\d:\d\d", data["validThrough"])
    assert "<h2>Major Duties and Responsibilities</h2>" in data["description"]
    assert "Community Reintegration Program" in data["description"], "blanks filled in"
    assert f'href="/careers/{posting.id}.pdf"' in response.get_data(as_text=True)


def test_words_in_a_posting_cannot_break_out_of_the_json_ld(client, db):
    posting = published(title="Peer </script><script>alert(1)</script> Specialist")
    db.session.commit()
    page = client.get(f"/careers/{posting.id}").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S).group(1)
    assert "<" not in block
    assert "\\u003c/script\\u003e" in block
    assert json_ld(page)["title"] == "Peer </script><script>alert(1)</script> Specialist"


def test_drafts_closed_and_missing_postings_are_not_found(client, db):
    hidden = draft(title="Not yet")
    closed = published()
    postings.move(
        closed, "close", "Filled.", closed.version, postings.current_version(closed).created_by, agency_ready=True
    )
    db.session.commit()
    for posting_id in (hidden.id, closed.id, 999_999):
        assert client.get(f"/careers/{posting_id}").status_code == 404
        assert client.get(f"/careers/{posting_id}.pdf").status_code == 404


def test_the_public_page_shows_only_the_published_version(client, db):
    posting = published(title="Published words")
    save(posting, postings.current_version(posting).created_by, title="Unpublished words")
    db.session.commit()
    page = client.get(f"/careers/{posting.id}").get_data(as_text=True)
    assert "Published words" in page
    assert "Unpublished words" not in page
    listing = client.get("/careers/").get_data(as_text=True)
    assert "Published words" in listing
    assert "Unpublished words" not in listing
    assert db.session.get(Posting, posting.id).status == "draft"


def test_the_lists_read_the_same_number_of_queries_however_many_postings(client, db, login_as):
    from core.models import Role
    from tests.queries import queries_for

    published(title="First job")
    db.session.commit()
    careers_one = queries_for(client, "/careers/")
    for n in range(4):
        published(title=f"Job {n}")
    db.session.commit()
    assert queries_for(client, "/careers/") == careers_one

    login_as(Role.HR)
    hiring_five = queries_for(client, "/hiring/")
    for n in range(3):
        published(title=f"More {n}")
    db.session.commit()
    assert queries_for(client, "/hiring/") == hiring_five
