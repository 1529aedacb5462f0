"""Speed benchmark for training's audit pack: a cycle of 60 CE courses against a one-page PDF.

Builds, in a throwaway SQLite database, a peer specialist with a certification whose cycle holds 60 approved courses
(each with a PDF certificate), then renders, turn about so a busy moment slows both alike,

* the cycle's audit pack (``training.services.audit_pack.render``: reading the cycle, its progress and every
  course, the template, WeasyPrint, the PDF), and
* a one-page PDF on the same print layout (``templates/pdf/base.html``: margins, fonts, page numbers),

RUNS times each after one warm-up of both, and prints the median and best times, the pack's pages and the ratio
(target: the pack at most 25 times the one-page PDF). It also times ``GET /cycles/<id>/audit-pack.pdf`` through the
Flask test client as HR, the whole request. Not a test: it prints numbers and never fails a build.

    .venv/bin/python bench/training_audit_pack.py
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import select  # noqa: E402

from core import credentials, pdf, sessions, timeutil, uploads  # noqa: E402
from core.app import create_app  # noqa: E402
from core.credentials import RuleDetails  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import CredentialType, Role, Staff, StaffStatus  # noqa: E402
from training.models import CeEntry, Certification, Cycle, EntryStatus  # noqa: E402
from training.services import audit_pack, ce, certifications, progress  # noqa: E402
from training.services.certifications import CertificationDetails  # noqa: E402

RUNS = 7
COURSES = 60
TARGET = 25
BASE_URL = "http://peerworks.bench/"
ONE_PAGE = """{% extends "pdf/base.html" %}{% block title %}One page{% endblock %}{% block content %}<h1>One page</h1>
<p>A single page of plain text, on the same print layout (margins, fonts, page numbers) as every PeerWorks PDF.</p>
{% endblock %}"""
CERTIFICATE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CATEGORIES = ("ethics", "cultural", "recovery", "trauma", "co_occurring", "general")
FORMATS = ("in_person", "live_online", "self_paced")


def make_app(folder: Path) -> Flask:
    os.environ["PEERWORKS_INSTANCE"] = str(folder / "instance")
    (folder / "instance").mkdir(exist_ok=True)
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
    )


def person(email: str, name: str, roles: set[str], supervisor: Staff | None = None) -> Staff:
    staff = Staff(email=email, name=name, status=StaffStatus.ACTIVE, supervisor=supervisor)
    staff.set_roles(roles)
    db.session.add(staff)
    db.session.flush()
    return staff


def build() -> tuple[Staff, int]:
    """HR, a supervisor and a peer specialist whose certification's first cycle holds 60 approved courses."""
    hr = person("hr@bench.example", "HR bench", {Role.HR})
    supervisor = person("sam@bench.example", "Sam Okafor", {Role.SUPERVISOR})
    peer = person("pat@bench.example", "Pat Delgado", {Role.PEER}, supervisor)
    credential = CredentialType(name="Certified Peer Specialist")
    credentials._apply(  # noqa: SLF001 - the filling HR's form uses, without a version check
        credential,
        RuleDetails(
            name="Certified Peer Specialist", abbreviation="CPS", issuer="State board", state="PA",
            cycle_months=24, ce_qh=36 * 4, grace_days=30, max_online_qh=18 * 4, max_self_paced_qh=9 * 4,
            provisional_months=None, provisional_supervised_hours=None,
            categories={"ethics": (6 * 4, None), "general": (0, 12 * 4)}, check_with_board=False, rules_note="",
        ),
    )
    db.session.add(credential)
    db.session.flush()
    issued = timeutil.today() - timedelta(days=500)
    certification = certifications.add(
        peer, CertificationDetails(credential.id, "CPS-0001", issued, None, False), hr
    )
    for n in range(COURSES):
        checked = uploads.check(
            _file(f"certificate-{n}.pdf"), allowed=ce.EVIDENCE_KINDS, field="certificate"
        )
        details = ce.EntryDetails(
            title=f"Course {n + 1}: peer support practice", provider="State peer network",
            approval_number=f"PSN-{1000 + n}", taken_on=issued + timedelta(days=n * 8),
            quarter_hours=4 + n % 8, category=CATEGORIES[n % 6], format=FORMATS[n % 3],
        )
        ce.log(certification, details, checked, peer)
    for entry in db.session.scalars(select(CeEntry)):
        entry.status = EntryStatus.APPROVED
        entry.reviewed_by_id = supervisor.id
    progress.refresh(Cycle.certification_id == certification.id)
    db.session.commit()
    cycle_id = db.session.scalar(select(Cycle.id).where(Cycle.certification_id == certification.id))
    return hr, cycle_id


def _file(name: str):  # noqa: ANN202 - a werkzeug FileStorage
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(CERTIFICATE), filename=name)


def timed(make: Callable[[], object]) -> float:
    started = time.perf_counter()
    make()
    return time.perf_counter() - started


def pages(data: bytes) -> int:
    try:
        done = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return len(re.findall(rb"/Type\s*/Page[^s]", data))
    found = re.search(rb"Pages:\s+(\d+)", done.stdout)
    return int(found.group(1)) if found else 0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-") as folder:
        app = make_app(Path(folder))
        with app.app_context():
            db.create_all()
            hr, cycle_id = build()
            cycle = db.session.get(Cycle, cycle_id)
            token = sessions.start(hr)
            db.session.commit()
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = token
                session["_fresh"] = True
            url = f"/training/cycles/{cycle_id}/audit-pack.pdf"
            first = client.get(url)
            status = first.status_code if first.status_code != 302 else f"302 to {first.location}"
            request_times = [timed(lambda: client.get(url)) for _ in range(3)]
            certification = db.session.get(Certification, cycle.certification_id)
            with app.test_request_context():
                one_page_html = app.jinja_env.from_string(ONE_PAGE).render()
                one_pdf = pdf.render_pdf(one_page_html, base_url=BASE_URL)
                pack_pdf = audit_pack.render(certification, cycle, BASE_URL)
                one_times, pack_times = [], []
                for _ in range(RUNS):
                    one_times.append(timed(lambda: pdf.render_pdf(one_page_html, base_url=BASE_URL)))
                    pack_times.append(timed(lambda: audit_pack.render(certification, cycle, BASE_URL)))
        one, pack = statistics.median(one_times), statistics.median(pack_times)
        best = min(pack_times) / min(one_times)
        print(f"Audit pack of {COURSES} courses ({pages(pack_pdf)} pages) against a one-page PDF "
              f"({pages(one_pdf)} page)")
        print(f"  one-page PDF: median {one * 1000:7.1f} ms, best {min(one_times) * 1000:7.1f} ms")
        print(f"  audit pack:   median {pack * 1000:7.1f} ms, best {min(pack_times) * 1000:7.1f} ms")
        ratio = pack / one
        print(f"  ratio of the medians: {ratio:.1f}x, of the best times: {best:.1f}x (target at most {TARGET}x) "
              f"{'OK' if ratio <= TARGET else 'OVER TARGET'}")
        print(f"  GET {url} as HR: HTTP {status}, median {statistics.median(request_times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
