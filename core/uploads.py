"""Uploaded files, once for the whole app: every module that takes a file (hiring's résumés, training's CE
certificates) goes through here.

* **Size:** at most ``MAX_BYTES`` (5 MB) per file; a larger one is refused with a message, never stored.
* **Type from the content, not the name:** a PDF starts with ``%PDF-``; a Word document (DOCX) is a ZIP holding
  ``[Content_Types].xml`` and ``word/document.xml`` (its list of names is read, nothing is unpacked); a PNG picture
  starts with PNG's signature and its header chunk; a JPEG photo starts with JPEG's start-of-image marker followed
  by another marker. Each caller says which kinds it takes (``allowed``: résumés PDF or DOCX, certificates PDF, PNG
  or JPEG). An executable, an image renamed ``.pdf`` (where pictures are not taken) or anything else is refused.
  The stored type and the file name's ending come from what the content is.
* **Safe names:** letters, digits, dots, dashes and underscores only, at most 100 characters, ending as the type says.
* **Stored in the database** (``core_upload``), so every app instance sees them and a backup holds them.
* **Served only through** ``/files/<id>`` (``core.files_view``), to a signed-in person the purpose's reader rule
  allows (modules register one with ``add_readers``; no rule means no one), always as an attachment with
  ``X-Content-Type-Options: nosniff``, so a browser never shows or runs it inside PeerWorks.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request

from core.errors import InvalidInput
from core.extensions import db
from core.models import Staff, Upload

MAX_BYTES = 5 * 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
JPEG = "image/jpeg"
ENDINGS = {PDF: ".pdf", DOCX: ".docx", PNG: ".png", JPEG: ".jpg"}
KINDS = {"pdf": PDF, "docx": DOCX, "png": PNG, "jpeg": JPEG}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Reader = Callable[[Staff, Upload], bool]
_readers: dict[str, Reader] = {}
_file_endpoints: set[str] = set()


@dataclass(frozen=True)
class Checked:
    data: bytes
    content_type: str
    filename: str


def add_readers(readers: Mapping[str, Reader]) -> None:
    """A module's rules for who may read its uploads, by purpose (from its ``register(app)``)."""
    _readers.update(readers)


def accept_files_at(endpoints: set[str]) -> None:
    """Routes whose form sends a file (from a module's ``register(app)``): their requests may be as large as
    ``UPLOAD_REQUEST_LIMIT``, so a file over ``MAX_BYTES`` reaches the form and is refused there, next to its field,
    with everything else typed kept (instead of the bare "too large" page)."""
    _file_endpoints.update(endpoints)


def takes_files(endpoint: str | None) -> bool:
    """Whether the route's form sends a file (and so states the file limit, ``MAX_BYTES``)."""
    return endpoint in _file_endpoints


def too_large_advice() -> str:
    """What the "too large" page says on a form that sends a file: the limit that form states."""
    return (
        f"Nothing was saved. Files must be at most {MAX_BYTES // (1024 * 1024)} MB: go back to the form and choose a "
        "smaller file."
    )


def _larger_requests_for_files() -> None:
    if request.endpoint in _file_endpoints:
        request.max_content_length = int(current_app.config["UPLOAD_REQUEST_LIMIT"])


def register(app: Flask) -> None:
    """Before anything reads the form (the CSRF check does), allow file-sized requests where a form takes files."""
    app.before_request_funcs.setdefault(None, []).insert(0, _larger_requests_for_files)


def may_read(user: Staff, upload: Upload) -> bool:
    reader = _readers.get(upload.purpose)
    return reader is not None and bool(reader(user, upload))


def sniff(data: bytes) -> str | None:
    """The type the content really is (PDF, DOCX, PNG or JPEG), or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return PNG
    if data.startswith(b"\xff\xd8\xff") and len(data) > 4 and data[3] >= 0xC0:
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
    return None


def safe_name(name: str, content_type: str) -> str:
    """A file name that is safe anywhere: plain letters, digits, dots, dashes and underscores, with the ending the
    content calls for."""
    base = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    base = base.replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", base)
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-_")[:100] or "file"
    return base + ENDINGS[content_type]


def check(
    storage: Any, *, allowed: tuple[str, ...] = ("pdf", "docx"), field: str = "file", what: str = "The file"
) -> Checked:
    """Read an uploaded file (a werkzeug ``FileStorage``) and check it. Raises ``InvalidInput`` naming ``field``."""
    kinds = kinds_text(allowed)
    stream = getattr(storage, "stream", None)
    if stream is None or not getattr(storage, "filename", ""):
        raise InvalidInput({field: f"Choose {what[:1].lower() + what[1:]} to send ({kinds})."})
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise InvalidInput({field: f"{what} is empty. Choose the file again ({kinds})."})
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            {
                field: f"{what} is larger than {MAX_BYTES // (1024 * 1024)} MB. Send a smaller file "
                f"({kinds}), for example saved again as PDF."
            }
        )
    content_type = sniff(data)
    if content_type is None or content_type not in {KINDS[kind] for kind in allowed}:
        raise InvalidInput(
            {field: f"{what} is not a {kinds} file, whatever its name says. Save it as {kinds} and send it again."}
        )
    return Checked(data, content_type, safe_name(getattr(storage, "filename", "") or "", content_type))


def kinds_text(allowed: tuple[str, ...]) -> str:
    """ "PDF or DOCX", "PDF, PNG or JPEG"."""
    names = [kind.upper() for kind in allowed]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def store(checked: Checked, purpose: str) -> Upload:
    upload = Upload(
        purpose=purpose,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        data=checked.data,
    )
    db.session.add(upload)
    db.session.flush()
    return upload
