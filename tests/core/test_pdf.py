"""core.pdf: a real PDF comes out, and the URL fetcher reads the app's own static files and nothing else; every PDF
the app makes, given a page that refers to every kind of address, fetches nothing beyond the static folder and opens
no connection."""

from __future__ import annotations

import base64
import http.server
import io
import logging
import os
import re
import socket
import subprocess
import sys
import sysconfig
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest
from flask import render_template_string
from flask.testing import FlaskClient
from sqlalchemy import select

from core.extensions import db
from core.models import Role
from core.pdf import MAX_INLINE_IMAGE, StaticOnlyFetcher, render_pdf
from tests import factories
from tests.hiring.helpers import draft, make_hr, published
from tests.readiness.helpers import make_campaign, make_instrument
from tests.supervision.helpers import log_session
from tests.supervision.helpers import make_team as supervision_team
from tests.training.helpers import approved, certify, make_credential
from training.models import Cycle

BASE = "http://peerworks.test/"
# A 1x1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture(autouse=True)
def weasyprint_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alembic's logging set-up (run by the PostgreSQL test database) switches existing loggers off; WeasyPrint's
    log is how a refused resource shows, so switch it back on."""
    monkeypatch.setattr(logging.getLogger("weasyprint"), "disabled", False)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """WeasyPrint's log lines for resources our fetcher refused."""
    return [r.getMessage() for r in caplog.records if r.name == "weasyprint" and "ValueError: PDFs" in r.getMessage()]


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=30)
    return result.stdout.decode()


def page(body: str, head: str = "") -> str:
    return render_template_string(
        '{% extends "pdf/base.html" %}{% block head %}' + head + "{% endblock %}{% block content %}" + body
        + "{% endblock %}"
    )


@pytest.fixture
def fetcher(app) -> StaticOnlyFetcher:
    return StaticOnlyFetcher.for_app(app, BASE)


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A real web server on this machine serving a stylesheet that would print LEAKED-REMOTE; records requests."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b'body::before { content: "LEAKED-REMOTE"; }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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


def test_renders_a_valid_pdf_with_the_text(app, tmp_path):
    with app.test_request_context():
        data = render_pdf(page("<h1>Your recovery plan</h1><p>I want my own apartment – café ñ.</p>"), base_url=BASE)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data, tmp_path)
    assert "Your recovery plan" in text
    assert "I want my own apartment – café ñ." in text


def test_a_long_unbroken_word_wraps_instead_of_running_off_the_page(app, tmp_path):
    """A pasted link or a long run of characters in a plan, a note or a posting ran past the right edge of the page,
    where it is cut off and lost on paper. It breaks onto the next lines instead."""
    link = "https://housing.example.org/apply/" + "x" * 200 + "?form=1"
    with app.test_request_context():
        data = render_pdf(page(f'<div class="box"><p>Steps: {link}</p></div><dl><dt>Notes</dt><dd>{link}</dd></dl>'),
                          base_url=BASE)
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=30).stdout.decode()
    assert "".join(text.split()).count(link) == 2  # every character is on the page


def test_static_files_are_read_from_the_static_folder(app, fetcher):
    response = fetcher.fetch(BASE + "static/css/app.css")
    assert response.read() == (Path(app.static_folder) / "css" / "app.css").read_bytes()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        BASE + "static/../core/config.py",
        BASE + "static/%2e%2e/core/config.py",
        BASE + "static/..%2fcore%2fconfig.py",
        BASE + "static/css/missing.css",
        BASE + "core/config.py",
        "http://elsewhere.example/static/css/app.css",
        "https://peerworks.test/static/css/app.css",
    ],
)
def test_nothing_outside_the_static_folder_or_on_another_origin(fetcher, url):
    with pytest.raises(ValueError, match=r"static|PDFs"):
        fetcher.fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/style.css",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "ftp://example.org/file.css",
        "data:text/css,body{color:red}",
        "data:text/html;base64,PGgxPmhpPC9oMT4=",
        "javascript:alert(1)",
        "//example.org/style.css",
    ],
)
def test_external_and_file_urls_are_refused(fetcher, url):
    with pytest.raises(ValueError, match="PDF"):
        fetcher.fetch(url)


def test_small_inline_images_are_allowed_and_large_ones_refused(fetcher):
    small = "data:image/png;base64," + base64.b64encode(PIXEL).decode()
    assert fetcher.fetch(small).read() == PIXEL
    large = "data:image/png;base64," + base64.b64encode(b"\0" * (MAX_INLINE_IMAGE + 1)).decode()
    with pytest.raises(ValueError, match="too large"):
        fetcher.fetch(large)


def test_a_stylesheet_shows_when_inline_so_the_refusals_below_mean_something(app, tmp_path):
    with app.test_request_context():
        html = page("<p>Plan</p>", '<style>body::before { content: "SHOWN-INLINE"; }</style>')
        data = render_pdf(html, base_url=BASE)
    assert "SHOWN-INLINE" in pdf_text(data, tmp_path)


def test_an_external_url_in_the_page_is_never_fetched(app, tmp_path, web_server, caplog):
    caplog.set_level(logging.ERROR, logger="weasyprint")
    address, requests = web_server
    head = f'<link rel="stylesheet" href="{address}/leak.css">'
    body = f'<p>Plan</p><img src="{address}/pixel.png" alt="">'
    with app.test_request_context():
        data = render_pdf(page(body, head), base_url=BASE)
    assert requests == []
    text = pdf_text(data, tmp_path)
    assert "Plan" in text
    assert "LEAKED-REMOTE" not in text
    refused = refusals(caplog)
    assert any("leak.css" in line for line in refused)
    assert any("pixel.png" in line for line in refused)


def test_a_file_url_in_the_page_is_never_read(app, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="weasyprint")
    secret = tmp_path / "secret.css"
    secret.write_text('body::before { content: "LEAKED-FILE"; }')
    head = f'<link rel="stylesheet" href="{secret.as_uri()}"><style>@import url("{secret.as_uri()}");</style>'
    with app.test_request_context():
        data = render_pdf(page("<p>Plan</p>", head), base_url=BASE)
    text = pdf_text(data, tmp_path)
    assert "Plan" in text
    assert "LEAKED-FILE" not in text
    assert len([line for line in refusals(caplog) if "file URL" in line]) == 2


def test_a_relative_url_cannot_climb_out_of_static(app, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="weasyprint")
    head = '<link rel="stylesheet" href="/static/../tests/core/test_pdf.py">'
    with app.test_request_context():
        data = render_pdf(page("<p>Plan</p>", head), base_url=BASE)
    assert "Plan" in pdf_text(data, tmp_path)
    assert any("tests/core/test_pdf.py" in line for line in refusals(caplog))


def test_fonts_and_the_print_layout_are_reused_between_renders(app, tmp_path):
    """The print layout (static/css/print.css) is parsed once per thread with one font configuration, and every
    render uses it: the shared styles and the page footer are in each PDF."""
    from core import pdf

    with app.test_request_context():
        first = pdf.shared(app)
        one = render_pdf(page("<h1>First</h1>"), base_url=BASE)
        again = pdf.shared(app)
        two = render_pdf(page("<h1>Second</h1>"), base_url=BASE)
        assert again is first
        assert pdf.shared(app) is first
        assert pdf.shared(app, fresh=True) is not first  # what the benchmark compares with
        assert pdf.shared(app) is first
        other = threading.Thread(target=lambda: results.append(pdf.shared(app)))
        results: list[object] = []
        other.start()
        other.join()
        assert results[0] is not first  # each thread has its own: a font configuration is not shared
    for data in (one, two):
        text = pdf_text(data, tmp_path)
        assert "Page 1 of 1" in text  # the footer from print.css
        assert "Private. Keep this somewhere safe." in text  # the footer note from the template


# --- Every PDF the app makes, with a page full of references: nothing fetched beyond the static folder ------------


def sign_in(client, person) -> None:
    token = factories.start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token


def public_posting(client) -> str:
    return f"/careers/{published().id}.pdf"


def draft_posting(client) -> str:
    hr = make_hr()
    sign_in(client, hr)
    return f"/hiring/postings/{draft(hr).id}/draft.pdf"


def readiness_results(client) -> str:
    sign_in(client, factories.make_staff(Role.HR))
    return f"/readiness/campaigns/{make_campaign(make_instrument(), closed=True).id}/results.pdf"


def recovery_plan(client) -> str:
    peer = factories.make_staff(Role.PEER)
    person = factories.make_client()
    factories.assign(person, peer)
    factories.make_plan(person, peer, goals=["My own apartment"])
    sign_in(client, peer)
    return f"/caseload/clients/{person.id}/plan.pdf"


def supervision_record(client) -> str:
    team = supervision_team(1)
    meeting = log_session(team.supervisor, team.peers)
    sign_in(client, team.peers[0])  # an attendee's own copy
    return f"/supervision/sessions/{meeting.id}/record.pdf"


def supervision_supervisor_copy(client) -> str:
    team = supervision_team(1)
    meeting = log_session(team.supervisor, team.peers)
    sign_in(client, team.supervisor)  # the copy of the supervisor who led the session
    return f"/supervision/sessions/{meeting.id}/supervisor-copy.pdf"


def audit_pack(kind: str) -> Callable[[FlaskClient], str]:
    def make(client) -> str:
        peer = factories.make_staff(Role.PEER)
        found = certify(peer, make_credential(hours=12), date(2025, 1, 1), date(2026, 12, 31))
        approved(found, peer, title="Ethics", taken_on=date(2025, 3, 1), quarter_hours=12)
        sign_in(client, peer)
        cycle = db.session.scalar(select(Cycle).where(Cycle.certification_id == found.id))
        return f"/training/cycles/{cycle.id}/audit-pack.{kind}"

    return make


# Each route that answers with a PDF (or a ZIP holding one): how to make its records and whom to sign in.
EVERY_PDF: dict[str, Callable[[FlaskClient], str]] = {
    "careers.posting_pdf": public_posting,
    "hiring.posting_pdf": draft_posting,
    "readiness.results_pdf": readiness_results,
    "caseload.plan_pdf": recovery_plan,
    "supervision.session_pdf": supervision_record,
    "supervision.session_supervisor_pdf": supervision_supervisor_copy,
    "training.audit_pack_pdf": audit_pack("pdf"),
    "training.audit_pack_zip": audit_pack("zip"),
}


def hostile(address: str, outside: Path) -> tuple[str, str]:
    """A head and a body referring to every kind of address WeasyPrint would load: a web server on this machine,
    the internet, files outside static (absolute, relative, climbing out), data: URLs that are not small images,
    attachments, fonts, imports and backgrounds."""
    secret = outside.as_uri()
    urls = [
        f"{address}/leak.css", "https://example.org/leak.css", "http://169.254.169.254/latest/meta-data/",
        secret, "file:///etc/passwd", "data:text/css,body{color:red}", "leak.css", "../core/config.py",
        "/static/../core/config.py", "//example.org/leak.css",
    ]
    head = "".join(f'<link rel="stylesheet" href="{url}"><link rel="attachment" href="{url}">' for url in urls)
    head += "<style>" + "".join(f'@import url("{url}");' for url in urls)
    head += f'@font-face {{ font-family: Leak; src: url("{address}/font.woff"); }} p {{ font-family: Leak; }}'
    head += f'body {{ background-image: url("{address}/background.png"); }}</style>'
    body = "".join(
        f'<img src="{url}" alt=""><object data="{url}"></object><a rel="attachment" href="{url}">a</a>' for url in urls
    )
    return head, body


class Watch:
    """While on: every file Python opens, every name looked up and every connection tried (a Python audit hook, for
    the whole process; it only records while on), and every render made through core.pdf."""

    on = False
    opened: ClassVar[list[str]] = []
    network: ClassVar[list[str]] = []
    hooked = False

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if not cls.on:
            return
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            cls.opened.append(os.fsdecode(args[0]))
        elif event.startswith(("socket.", "subprocess.", "os.system", "urllib.")):
            cls.network.append(f"{event} {args!r:.120}")


def allowed_file(path: str, static: Path) -> bool:
    """The static folder, or the installed libraries' and Python's own files (WeasyPrint reading itself)."""
    where = Path(path).resolve()
    roots = [static, *(Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "purelib", "platlib"))]
    return any(where.is_relative_to(root) for root in roots)


@pytest.fixture
def watched(app, monkeypatch, tmp_path, web_server):
    """Every render through core.pdf gets the hostile references injected into its page, and is watched."""
    from core import pdf

    if not Watch.hooked:
        sys.addaudithook(Watch.hook)
        Watch.hooked = True
    address, requests = web_server
    outside = tmp_path / "secret.css"
    outside.write_text('body::before { content: "LEAKED-FILE"; }')
    head, body = hostile(address, outside)
    renders: list[str] = []
    strays: list[str] = []  # files outside static opened, connections tried
    real = pdf.render_pdf

    def render(html: str, **kwargs: object) -> bytes:
        assert "</head>" in html
        assert "</body>" in html
        page = html.replace("</head>", head + "</head>", 1).replace("</body>", body + "</body>", 1)
        Watch.opened.clear()
        Watch.network.clear()
        Watch.on = True
        try:
            made = real(page, **kwargs)
        finally:
            Watch.on = False
        renders.append(html)
        static = Path(app.static_folder).resolve()
        strays.extend(f"opened {path}" for path in Watch.opened if not allowed_file(path, static))
        strays.extend(Watch.network)
        return made

    def refuse(self, *args: object) -> None:
        strays.append(f"socket connect {args!r}")
        raise OSError("no connections while making a PDF")

    asked: list[tuple[str, bool]] = []
    fetch = StaticOnlyFetcher.fetch

    def fetch_noted(self, url: str, headers: object = None):
        try:
            response = fetch(self, url, headers)
        except ValueError:
            asked.append((url, False))
            raise
        asked.append((url, True))
        return response

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", fetch_noted)
    monkeypatch.setattr(pdf, "render_pdf", render)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return renders, strays, requests, asked


def test_every_pdf_route_is_in_the_walk_below(app):
    answers_a_pdf = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith((".pdf", ".zip"))}
    assert answers_a_pdf == set(EVERY_PDF), "a new PDF: add it to EVERY_PDF with its records"


def test_only_core_pdf_uses_weasyprint():
    """Every PDF goes through core.pdf.render_pdf and its fetcher: no other file of the app imports WeasyPrint."""
    root = Path(__file__).resolve().parents[2]
    packages = [folder for folder in root.iterdir() if (folder / "__init__.py").exists() and folder.name != "tests"]
    imports = re.compile(r"^\s*(from|import)\s+weasyprint\b|import_module\(\s*[\"']weasyprint", re.MULTILINE)
    users = [
        path.relative_to(root).as_posix()
        for path in [root / "wsgi.py", *(path for package in packages for path in package.rglob("*.py"))]
        if imports.search(path.read_text(encoding="utf-8"))
    ]
    assert users == ["core/pdf.py"]


@pytest.mark.parametrize("endpoint", sorted(EVERY_PDF))
def test_every_pdf_the_app_makes_fetches_nothing_outside_static(app, db, client, frozen_time, watched, endpoint):
    renders, strays, requests, asked = watched
    frozen_time.at("2026-03-20 12:00")
    url = EVERY_PDF[endpoint](client)
    db.session.commit()
    response = client.get(url)
    assert strays == []
    assert response.status_code == 200, url
    assert len(renders) == 1, "the PDF was not made through core.pdf.render_pdf"
    assert requests == []
    for reference in ("leak.css", "169.254.169.254", "secret.css", "/etc/passwd", "core/config.py", "font.woff"):
        assert any(reference in url for url, _ in asked), f"{reference} was never even asked for"
    served = {url for url, given in asked if given}
    assert served <= {f"{BASE}static/css/print.css", "http://localhost/static/css/print.css"} | {
        url for url in served if url.startswith("data:image/")
    }
    data = response.data if url.endswith(".pdf") else zipfile.ZipFile(io.BytesIO(response.data)).read(
        next(name for name in zipfile.ZipFile(io.BytesIO(response.data)).namelist() if name.endswith(".pdf"))
    )
    assert data.startswith(b"%PDF-")
    assert b"LEAKED" not in data
