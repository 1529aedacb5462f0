"""PDFs, made only here: WeasyPrint with a URL fetcher that reads the app's own static files and nothing else.

A PDF is rendered from our own templates, but those templates show what people typed. A fetcher that followed any
URL would let a note or a goal pull in ``file:///etc/passwd`` or make the server call another machine. So, as
Indico's ``create_pdf`` does, the fetcher refuses everything except:

* ``/static/...`` on the page's own address, resolved to a file under the app's static folder (never outside it);
* ``data:`` URLs holding a small PNG, JPEG or GIF image.

Anything else raises ``ValueError``: WeasyPrint then leaves that resource out and logs why. No network connection
and no file outside ``static/`` is ever opened.

**Reused between renders.** The print layout every PDF shares is ``static/css/print.css``. It is parsed once (a
WeasyPrint ``CSS`` object) with one ``FontConfiguration``, and both are kept for the next render, per thread (a
WeasyPrint font configuration holds a Pango font map, which is not for sharing between threads). A template adds
its own styles in its head. ``bench/posting_pdf.py`` times renders with and without the reuse.
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from flask import Flask, Response, current_app
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

MAX_INLINE_IMAGE = 64 * 1024
MAX_STATIC_FILE = 4 * 1024 * 1024
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
STATIC_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves the app's static files from disk and refuses every other URL."""

    def __init__(self, *, base_url: str, static_folder: str | Path, static_url_path: str) -> None:
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        base = urlsplit(base_url)
        self.origin = (base.scheme.lower(), base.netloc.lower())
        self.static_folder = Path(static_folder).resolve()
        self.static_prefix = static_url_path.rstrip("/") + "/"

    @classmethod
    def for_app(cls, app: Flask, base_url: str) -> StaticOnlyFetcher:
        if not app.static_folder or app.static_url_path is None:
            raise ValueError("this app has no static folder")
        return cls(base_url=base_url, static_folder=app.static_folder, static_url_path=app.static_url_path)

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return self._inline_image(url)
        if (
            scheme in ("http", "https")
            and (scheme, parts.netloc.lower()) == self.origin
            and parts.path.startswith(self.static_prefix)
        ):
            return self._static_file(url, unquote(parts.path[len(self.static_prefix):]))
        raise ValueError(f"PDFs may only use the app's own static files, not {scheme or 'this'} URL {url[:80]!r}")

    def _static_file(self, url: str, relative: str) -> URLFetcherResponse:
        joined = safe_join(str(self.static_folder), relative)
        if joined is None:
            raise ValueError(f"not a file in the static folder: {relative[:80]!r}")
        path = Path(joined).resolve()
        if not path.is_relative_to(self.static_folder) or not path.is_file():
            raise ValueError(f"not a file in the static folder: {relative[:80]!r}")
        mime = STATIC_TYPES.get(path.suffix.lower())
        if mime is None:
            raise ValueError(f"PDFs do not load {path.suffix or 'extensionless'} files")
        if path.stat().st_size > MAX_STATIC_FILE:
            raise ValueError(f"static file too large for a PDF: {relative[:80]!r}")
        content_type = f"{mime}; charset=utf-8" if mime == "text/css" else mime
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def _inline_image(self, url: str) -> URLFetcherResponse:
        header, comma, payload = url[len("data:"):].partition(",")
        params = [part.strip().lower() for part in header.split(";")]
        mime = params[0]
        if not comma or mime not in INLINE_IMAGE_TYPES:
            raise ValueError("only small inline PNG, JPEG or GIF images may be embedded in a PDF")
        # Base64 grows data by a third; refuse an oversized URL before decoding it.
        if len(payload) > MAX_INLINE_IMAGE * 4 // 3 + 4:
            raise ValueError("inline image too large for a PDF")
        try:
            body = base64.b64decode(payload, validate=True) if "base64" in params[1:] else unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as error:
            raise ValueError("inline image is not valid base64") from error
        if len(body) > MAX_INLINE_IMAGE:
            raise ValueError("inline image too large for a PDF")
        return URLFetcherResponse(url, body, {"Content-Type": mime})


PRINT_CSS = "css/print.css"  # under the app's static folder


@dataclass(frozen=True)
class Shared:
    """What every render can reuse: the font configuration and the print layout parsed with it."""

    fonts: FontConfiguration
    stylesheet: CSS
    source: Path


_per_thread = threading.local()


def shared(app: Flask, *, fresh: bool = False) -> Shared:
    """This thread's font configuration and parsed print layout, made on first use (or anew when ``fresh``)."""
    if not app.static_folder:
        raise ValueError("this app has no static folder")
    source = Path(app.static_folder) / PRINT_CSS
    kept: Shared | None = getattr(_per_thread, "shared", None)
    if kept is not None and kept.source == source and not fresh:
        return kept
    fonts = FontConfiguration()
    made = Shared(fonts, CSS(string=source.read_text(encoding="utf-8"), font_config=fonts), source)
    if not fresh:
        _per_thread.shared = made
    return made


def render_pdf(html: str, *, base_url: str, fresh: bool = False) -> bytes:
    """Render an HTML page to PDF bytes. ``base_url`` is the app's own address (``request.url_root``). The fonts and
    the print layout of the thread's last render are reused unless ``fresh`` (for the benchmark's comparison)."""
    fetcher = StaticOnlyFetcher.for_app(current_app, base_url)
    reused = shared(current_app._get_current_object(), fresh=fresh)  # type: ignore[attr-defined]
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=[reused.stylesheet], font_config=reused.fonts, pdf_tags=True)
    if pdf is None:  # only when a target file is given, which we never do
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


def inline(document: bytes, filename: str) -> Response:
    """A made PDF as the answer, opened in the browser, saved under ``filename``."""
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def tiny_pdf(lines: list[tuple[int, str]]) -> bytes:
    """A small, real one-page PDF with ``lines`` of (font size, text) in Helvetica, written by hand for demo data
    and tests (a résumé, a course certificate): WeasyPrint would take a second each, this takes nothing."""
    shown = []
    for number, (size, text) in enumerate(lines):
        escaped = text.encode("latin-1", "replace").replace(b"\\", b"\\\\")
        escaped = escaped.replace(b"(", b"\\(").replace(b")", b"\\)")
        move = b"72 720 Td" if number == 0 else b"0 -32 Td"
        shown.append(move + b" /F1 " + str(size).encode() + b" Tf (" + escaped + b") Tj")
    stream = b"BT " + b" ".join(shown) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
