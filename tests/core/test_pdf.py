"""core.pdf: a real PDF comes out, and the URL fetcher reads the app's own static files and nothing else."""

from __future__ import annotations

import base64
import http.server
import logging
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import render_template_string

from core.pdf import MAX_INLINE_IMAGE, StaticOnlyFetcher, render_pdf

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
