"""Speed benchmark for training's audit pack: a cycle of 60 CE courses against a one-page PDF.

Builds, in a throwaway SQLite database, a peer specialist with a certification whose cycle holds 60 approved courses
(each with a PDF certificate), then renders, turn about so a busy moment slows both alike,

* the cycle's audit pack (``training.services.audit_pack.render``: reading the cycle, its progress and every
  course, the template, WeasyPrint, the PDF), and
* a one-page PDF on the same print layout (``templates/pdf/base.html``: margins, fonts, page numbers),

RUNS times each after one warm-up of both, and prints the median and best times, the pack's pages and the ratio
(target: the pack at most 25 times the one-page PDF), and the ratio of the CPU times of the rendering thread (which
other work on a shared machine disturbs less than wall time). It also times ``GET /cycles/<id>/audit-pack.pdf``
through the Flask test client as HR, the whole request. Not a test: it prints numbers and never fails a build.

    .venv/bin/python bench/training_audit_pack.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.common import make_app, pdf_pages, signed_in, sqlite_url, timed  # noqa: E402
from core import credentials, pdf, sessions, timeutil, uploads  # noqa: E402
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


def person(email: str, name: str, roles: set[str], supervisor: Staff | None = None) -> Staff:
    staff = Staff(email=email, name=name, status=StaffStatus.ACTIVE, supervisor=supervisor)
    staff.set_roles(roles)
    db.session.add(staff)
    db.session.flush()
    return staff


def build(courses: int = COURSES) -> tuple[Staff, int]:
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
    for n in range(courses):
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


@dataclass(frozen=True)
class PackTiming:
    courses: int
    pack_pages: int
    one_pages: int
    pack: list[float]  # seconds, each run
    one: list[float]
    request_status: object
    request: float  # seconds, median of the whole request
    pack_cpu: list[float] = field(default_factory=list)  # seconds of the rendering thread's CPU, each run
    one_cpu: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.pack) / statistics.median(self.one)


def timed_cpu(make: Callable[[], object], cpu: list[float]) -> float:
    """Wall time of ``make()``, as ``bench.common.timed``; its CPU time on this thread appended to ``cpu``."""
    started = time.thread_time()
    wall = timed(make)
    cpu.append(time.thread_time() - started)
    return wall


def measure(folder: Path, courses: int = COURSES, runs: int = RUNS) -> PackTiming:
    """Builds the cycle in a SQLite file in ``folder``; the pack and the one-page PDF rendered turn about."""
    app = make_app(sqlite_url(folder), folder / "instance")
    with app.app_context():
        db.create_all()
        hr, cycle_id = build(courses)
        cycle = db.session.get(Cycle, cycle_id)
        token = sessions.start(hr)
        db.session.commit()
        client = signed_in(app, token)
        url = f"/training/cycles/{cycle_id}/audit-pack.pdf"
        first = client.get(url)
        status = first.status_code if first.status_code != 302 else f"302 to {first.location}"
        request_times = [timed(lambda: client.get(url)) for _ in range(min(3, runs))]
        certification = db.session.get(Certification, cycle.certification_id)
        with app.test_request_context():
            one_page_html = app.jinja_env.from_string(ONE_PAGE).render()
            one_pdf = pdf.render_pdf(one_page_html, base_url=BASE_URL)
            pack_pdf = audit_pack.render(certification, cycle, BASE_URL)
            one_times, pack_times, one_cpu, pack_cpu = [], [], [], []
            for _ in range(runs):
                one_times.append(timed_cpu(lambda: pdf.render_pdf(one_page_html, base_url=BASE_URL), one_cpu))
                pack_times.append(timed_cpu(lambda: audit_pack.render(certification, cycle, BASE_URL), pack_cpu))
        db.session.remove()
        db.engine.dispose()
    return PackTiming(courses, pdf_pages(pack_pdf), pdf_pages(one_pdf), pack_times, one_times, status,
                      statistics.median(request_times), pack_cpu, one_cpu)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-") as folder:
        found = measure(Path(folder))
    one, pack = statistics.median(found.one), statistics.median(found.pack)
    best = min(found.pack) / min(found.one)
    print(f"Audit pack of {found.courses} courses ({found.pack_pages} pages) against a one-page PDF "
          f"({found.one_pages} page)")
    print(f"  one-page PDF: median {one * 1000:7.1f} ms, best {min(found.one) * 1000:7.1f} ms")
    print(f"  audit pack:   median {pack * 1000:7.1f} ms, best {min(found.pack) * 1000:7.1f} ms")
    print(f"  ratio of the medians: {found.ratio:.1f}x, of the best times: {best:.1f}x (target at most {TARGET}x) "
          f"{'OK' if found.ratio <= TARGET else 'OVER TARGET'}")
    one_cpu, pack_cpu = statistics.median(found.one_cpu), statistics.median(found.pack_cpu)
    print(f"  CPU time (thread): one-page {one_cpu * 1000:.1f} ms, pack {pack_cpu * 1000:.1f} ms (medians), "
          f"ratio {pack_cpu / one_cpu:.1f}x")
    print(f"  GET /training/cycles/<id>/audit-pack.pdf as HR: HTTP {found.request_status}, "
          f"median {found.request * 1000:.0f} ms")


if __name__ == "__main__":
    main()
