"""The posting PDF: made through core.pdf (tagged, fonts embedded, nothing fetched), holding the title, every section
heading and the duties; linked from the posting's page and from HR's hiring page."""

from __future__ import annotations

import http.server
import logging
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.models import Role
from hiring.services import documents, postings
from tests.hiring.helpers import draft, published

HEADINGS = [section["heading"] for section in documents.sample_document()["sections"]]


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "posting.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=30)
    return " ".join(result.stdout.decode().split())


def info(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, timeout=30).stdout.decode()


def fonts(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, timeout=30).stdout.decode()


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A real server on this machine that records every request made to it."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_the_published_pdf_holds_the_title_headings_and_duties_tagged_with_fonts_embedded(client, db, tmp_path):
    posting = published(title="Peer Specialist, community team")
    db.session.commit()
    response = client.get(f"/careers/{posting.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    data = response.data
    assert data.startswith(b"%PDF")
    assert re.search(r"^Tagged:\s+yes$", info(data, tmp_path), re.MULTILINE), "a tagged PDF"
    table = fonts(data, tmp_path)
    lines = [line for line in table.splitlines()[2:] if line.strip()]
    assert lines, table
    assert all(line.split()[-5] == "yes" for line in lines), f"every font embedded:\n{table}"
    text = pdf_text(data, tmp_path)
    assert "Peer Specialist, community team" in text
    for heading in HEADINGS:
        assert heading in text
    for duty in documents.sample_document()["sections"][0]["groups"][0]["duties"]:
        assert " ".join(duty["text"].split()[:8]) in text
    assert "Community Reintegration Program" in text
    assert "[Program/Team]" not in text


def test_duty_text_that_points_elsewhere_fetches_nothing(client, db, login_as, tmp_path, web_server, caplog):
    caplog.set_level(logging.ERROR, logger="weasyprint")
    logging.getLogger("weasyprint").disabled = False
    address, requests = web_server
    hr = login_as(Role.HR)
    posting = draft(hr)
    hostile = (
        f'Bring <img src="{address}/pixel.png"> and <img src="file:///etc/passwd"> '
        f'<link rel="stylesheet" href="{address}/leak.css"> to every meeting.'
    )
    postings.add_own_duty(posting, 0, 0, hostile, posting.version, hr)
    db.session.commit()

    response = client.get(f"/hiring/postings/{posting.id}/draft.pdf")

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert requests == []
    text = pdf_text(response.data, tmp_path)
    assert "root:x:0:0" not in text
    assert '<imgsrc="file:///etc/passwd">' in "".join(text.split()), "shown as the words typed, never loaded"


def test_the_pdf_is_linked_from_the_posting_page_and_from_the_hiring_page(client, db, login_as):
    hr = login_as(Role.HR)
    posting = published(hr)
    db.session.commit()
    assert f'href="/careers/{posting.id}.pdf"' in client.get(f"/careers/{posting.id}").get_data(as_text=True)
    hiring = client.get("/hiring/").get_data(as_text=True)
    assert f'href="/careers/{posting.id}.pdf"' in hiring
    assert f'href="/hiring/postings/{posting.id}/draft.pdf"' in client.get(f"/hiring/postings/{posting.id}").get_data(
        as_text=True
    )
