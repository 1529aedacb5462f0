"""A file too large for the upload limit: the page says so and leads back to the form it came from."""

from __future__ import annotations

import io
from html import unescape

from flask.testing import FlaskClient

from core.models import Role

TOO_LARGE = b"name,email\n" + b"x" * (5 * 1024 * 1024)


def test_a_file_too_large_leads_back_to_the_form(client: FlaskClient, login_as) -> None:
    login_as(Role.ADMIN)
    form_page = "http://localhost/admin/staff/import"

    response = client.post(
        "/admin/staff/import",
        data={"file": (io.BytesIO(TOO_LARGE), "staff.csv")},
        content_type="multipart/form-data",
        headers={"Referer": form_page},
    )

    assert response.status_code == 413
    page = unescape(response.get_data(as_text=True))
    assert "The file is too large" in page
    assert "choose a smaller file" in page
    assert '<a class="usa-button" href="/admin/staff/import">Go back to the form</a>' in page


def test_the_way_back_never_leads_off_this_site(client: FlaskClient, login_as) -> None:
    login_as(Role.ADMIN)

    response = client.post(
        "/admin/staff/import",
        data={"file": (io.BytesIO(TOO_LARGE), "staff.csv")},
        content_type="multipart/form-data",
        headers={"Referer": "https://evil.example/admin/staff/import"},
    )

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Go back to the form" not in page
    assert "evil.example" not in page
