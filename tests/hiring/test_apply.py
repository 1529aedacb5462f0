"""Applying on the careers page: name, contact, résumé (PDF or DOCX, at most 5 MB, checked by content), answers to
the posting's questions, an optional statement; a confirmation page and email; a refused upload keeps everything
else typed; rate-limited per address. HR and the administrator read applications, nobody else."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.models import AuditEntry, OutboxEmail, Role, Upload
from hiring.models import Application
from hiring.services import postings
from tests.core.security_helpers import built_app
from tests.core.test_uploads import EXE, PNG, docx_bytes
from tests.hiring.helpers import published

QUESTION = "What does recovery mean to you?"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form(resume: tuple[bytes, str] | None = (PDF, "cv.pdf"), **changes: str) -> dict:
    data = {
        "name": "Robin Vega",
        "email": "robin@example.org",
        "phone": "555-0100",
        "answer_0": "Living a life I choose.",
        "statement": "I am a veteran in recovery for six years.",
    }
    data.update(changes)
    if resume is not None:
        data["resume"] = (io.BytesIO(resume[0]), resume[1])
    return data


@pytest.fixture
def job(db):
    posting = published(title="Peer Specialist, day program", questions=QUESTION)
    db.session.commit()
    return posting


def test_an_application_is_stored_confirmed_by_email_and_audited_without_its_words(client, db, job):
    page = client.get(f"/careers/{job.id}/apply").get_data(as_text=True)
    assert QUESTION in page
    assert 'enctype="multipart/form-data"' in page

    response = client.post(f"/careers/{job.id}/apply", data=form(), content_type="multipart/form-data")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/careers/{job.id}/applied")
    [application] = db.session.scalars(select(Application)).all()
    assert (application.name, application.email, application.version_number) == (
        "Robin Vega",
        "robin@example.org",
        job.published_number,
    )
    assert application.resume.content_type == "application/pdf"
    assert db.session.get(Upload, application.resume_id).data == PDF
    [email] = db.session.scalars(select(OutboxEmail)).all()
    assert email.to_address == "robin@example.org"
    assert "Peer Specialist, day program" in email.subject
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "hiring.applied")).all()
    assert "Robin" not in entry.detail
    assert "veteran" not in entry.detail
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your application is sent" in thanks


@pytest.mark.parametrize(
    ("resume", "message"),
    [
        ((EXE, "resume.pdf"), "is not a PDF or DOCX file"),
        ((PNG, "resume.pdf"), "is not a PDF or DOCX file"),
        ((PDF + b"\0" * (6 * 1024 * 1024), "big.pdf"), "larger than 5 MB"),
        (None, "Choose your résumé"),
    ],
)
def test_a_refused_upload_keeps_every_other_field(client, db, job, resume, message):
    response = client.post(f"/careers/{job.id}/apply", data=form(resume), content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    for typed in (
        'value="Robin Vega"',
        'value="robin@example.org"',
        'value="555-0100"',
        "Living a life I choose.",
        "I am a veteran in recovery for six years.",
    ):
        assert typed in page
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


def test_a_request_over_the_upload_limit_is_the_plain_too_large_page(app, client, db, job):
    """The form takes requests up to UPLOAD_REQUEST_LIMIT (16 MB, so a 6 MB file above comes back next to its field);
    past it, the plain "too large" page (README, "Every response"; SECURITY.md, "Validation"), nothing stored."""
    limit = app.config["UPLOAD_REQUEST_LIMIT"]
    assert limit == 16 * 1024 * 1024
    response = client.post(
        f"/careers/{job.id}/apply", data=form((PDF + b"\0" * limit, "huge.pdf")), content_type="multipart/form-data"
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page
    # the limit this form states (5 MB), not the 4 MB of forms without a file, which read as a contradiction
    assert "at most 5 MB" in page
    assert "4 MB" not in page
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


def test_a_word_document_is_accepted(client, db, job):
    response = client.post(
        f"/careers/{job.id}/apply", data=form((docx_bytes(), "Résumé.docx")), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    upload = db.session.scalar(select(Upload))
    assert (upload.filename, upload.content_type.endswith("wordprocessingml.document")) == ("Resume.docx", True)


def test_a_missing_answer_or_a_bad_email_is_a_message_and_asks_for_the_file_again(client, db, job):
    response = client.post(
        f"/careers/{job.id}/apply", data=form(answer_0="", email="robin at home"), content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Answer this question." in page
    assert "Enter an email address like" in page
    assert "Choose your file again" in page


def test_closed_or_unpublished_postings_take_no_applications(client, db, job):
    postings.move(job, "close", "Filled.", job.version, postings.current_version(job).created_by, agency_ready=True)
    db.session.commit()
    assert client.get(f"/careers/{job.id}/apply").status_code == 404
    assert client.post(f"/careers/{job.id}/apply", data=form(), content_type="multipart/form-data").status_code == 404


def test_hr_reads_applications_and_the_resume_and_others_cannot(client, db, login_as, job):
    client.post(f"/careers/{job.id}/apply", data=form(), content_type="multipart/form-data")
    application = db.session.scalar(select(Application))
    hr = login_as(Role.HR)
    page = client.get(f"/hiring/postings/{job.id}/applications").get_data(as_text=True)
    assert "Robin Vega" in page
    assert QUESTION in page
    assert f'href="/files/{application.resume_id}"' in page
    assert client.get(f"/files/{application.resume_id}").data == PDF
    reads = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == hr.id)).all()
    assert {"hiring.applications_read", "upload.read"} <= set(reads)
    for role in (Role.PEER, Role.STAFF, Role.SUPERVISOR):
        login_as(role)
        assert client.get(f"/hiring/postings/{job.id}/applications").status_code == 403
        assert client.get(f"/files/{application.resume_id}").status_code == 404


def test_applications_are_limited_per_address(database_url, tmp_path):
    with built_app(
        database_url, tmp_path / "instance", RATELIMIT_ENABLED=True, APPLY_RATE_LIMIT="2 per hour"
    ) as application:
        application: Flask
        with application.app_context():
            from core.extensions import db

            job_id = published(questions=QUESTION).id
            db.session.commit()
        client = application.test_client()
        here = {"REMOTE_ADDR": "203.0.113.7"}
        statuses = [
            client.post(
                f"/careers/{job_id}/apply", data=form(), content_type="multipart/form-data", environ_base=here
            ).status_code
            for _ in range(3)
        ]
        assert statuses == [302, 302, 429]
        assert client.get(f"/careers/{job_id}/apply", environ_base=here).status_code == 200
        other = client.post(
            f"/careers/{job_id}/apply",
            data=form(),
            content_type="multipart/form-data",
            environ_base={"REMOTE_ADDR": "198.51.100.9"},
        )
        assert other.status_code == 302, "another address is not held up"
