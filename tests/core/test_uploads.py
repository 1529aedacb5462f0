"""core.uploads, the one way a file comes in: at most 5 MB, its type read from its content (PDF or DOCX), a safe
name, kept in the database, and served only through /files/<id> to people the purpose's rule allows, as a
download with nosniff."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core import uploads
from core.errors import InvalidInput
from core.models import AuditEntry, Role, Upload
from core.pdf import render_pdf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


def docx_bytes(text: str = "My work history") -> bytes:
    """A minimal real Word document: the parts Word itself needs to open it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
            ),
        )
        archive.writestr(
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
            ),
        )
        archive.writestr(
            "word/document.xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>'
            ),
        )
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    return buffer.getvalue()


_MADE: dict[str, bytes] = {}


@pytest.fixture
def real_pdf(app) -> bytes:
    """A real PDF made by WeasyPrint (once per test process)."""
    if "pdf" not in _MADE:
        with app.test_request_context():
            _MADE["pdf"] = render_pdf("<h1>Résumé</h1><p>Ten years of work.</p>", base_url="http://peerworks.test/")
    return _MADE["pdf"]


def sent(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_a_real_pdf_and_a_real_docx_pass_with_safe_names(real_pdf):
    pdf = uploads.check(sent(real_pdf, "My Résumé (final).PDF"))
    assert (pdf.content_type, pdf.filename) == ("application/pdf", "My-Resume-final.pdf")
    docx = uploads.check(sent(docx_bytes(), "cv.docx"))
    assert (docx.content_type, docx.filename) == (uploads.DOCX, "cv.docx")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (EXE, "resume.pdf"),
        (ELF, "resume.pdf"),
        (PNG, "resume.pdf"),
        (PNG, "photo.docx"),
        (zip_bytes(), "cv.docx"),
        (b"Plain text pretending", "resume.pdf"),
        (b"PK\x03\x04broken zip", "cv.docx"),
    ],
)
def test_anything_that_is_not_really_a_pdf_or_docx_is_refused_whatever_its_name(data, name):
    with pytest.raises(InvalidInput, match="is not a PDF or DOCX file, whatever its name says"):
        uploads.check(sent(data, name))


def test_a_file_over_5_mb_is_refused_and_one_at_5_mb_passes(real_pdf):
    with pytest.raises(InvalidInput, match="larger than 5 MB"):
        uploads.check(sent(real_pdf + b"\0" * (6 * 1024 * 1024), "big.pdf"))
    exactly = real_pdf + b"\0" * (uploads.MAX_BYTES - len(real_pdf))
    assert uploads.check(sent(exactly, "ok.pdf")).content_type == uploads.PDF


def test_no_file_or_an_empty_one_is_refused():
    with pytest.raises(InvalidInput, match="Choose the file to send"):
        uploads.check(None)
    with pytest.raises(InvalidInput, match="Choose the file to send"):
        uploads.check(sent(b"", ""))
    with pytest.raises(InvalidInput, match="is empty"):
        uploads.check(sent(b"", "empty.pdf"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\cv.pdf", "cv.pdf"),
        ("résumé.exe", "resume.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("....pdf", "file.pdf"),
        ("", "file.pdf"),
        ("a" * 300 + ".pdf", "a" * 100 + ".pdf"),
    ],
)
def test_names_are_made_safe_and_end_as_the_content_says(name, expected):
    assert uploads.safe_name(name, uploads.PDF) == expected


@pytest.fixture
def stored(db, real_pdf) -> Upload:
    upload = uploads.store(uploads.check(sent(real_pdf, "cv.pdf")), "hiring.resume")
    db.session.commit()
    return upload


def test_a_file_is_kept_in_the_database_and_served_as_a_download_with_nosniff(client, db, login_as, stored, real_pdf):
    hr = login_as(Role.HR)
    response = client.get(f"/files/{stored.id}")
    assert response.status_code == 200
    assert response.data == real_pdf
    assert response.headers["Content-Disposition"] == 'attachment; filename="cv.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "upload.read")).all()
    assert (entry.actor_id, entry.record_id, entry.detail) == (hr.id, str(stored.id), "hiring.resume")


@pytest.mark.parametrize("role", [Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY])
def test_people_the_rule_does_not_allow_get_not_found(client, db, login_as, stored, role):
    login_as(role)
    assert client.get(f"/files/{stored.id}").status_code == 404
    assert client.get("/files/999999").status_code == 404


def test_a_file_whose_purpose_has_no_rule_is_read_by_nobody(client, db, login_as, real_pdf):
    upload = uploads.store(uploads.check(sent(real_pdf, "cv.pdf")), "nobody.reads.this")
    db.session.commit()
    login_as(Role.ADMIN)
    assert client.get(f"/files/{upload.id}").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, stored):
    response = client.get(f"/files/{stored.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


REAL_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
REAL_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "name", "kind", "ending"),
    [(REAL_PNG, "scan.jpg", uploads.PNG, "scan.png"), (REAL_JPEG, "photo.png", uploads.JPEG, "photo.jpg")],
)
def test_pictures_are_taken_by_their_content_where_a_caller_allows_them(data, name, kind, ending):
    checked = uploads.check(sent(data, name), allowed=("pdf", "png", "jpeg"))
    assert (checked.content_type, checked.filename) == (kind, ending)
    with pytest.raises(InvalidInput, match="is not a PDF or DOCX file"):  # a résumé is never a picture
        uploads.check(sent(data, name))


@pytest.mark.parametrize(
    "data",
    [PNG, b"\xff\xd8\x00\x00" + b"\x00" * 64, b"\x89PNG\r\n\x1a\n" + b"IHDR" + b"\x00" * 8, EXE],
)
def test_a_picture_needs_more_than_its_first_bytes(data):
    with pytest.raises(InvalidInput, match="is not a PDF, PNG or JPEG file"):
        uploads.check(sent(data, "x.png"), allowed=("pdf", "png", "jpeg"))
