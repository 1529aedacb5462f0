"""Speed benchmark for a job posting's PDF: milliseconds per page, and what reusing fonts and styles saves.

Builds, in a throwaway SQLite database, two published postings: the agency's sample job description filled in (the
long one, several pages) and a posting cut down to one short section (one page). Then

* requests each posting's public PDF (``GET /careers/<id>.pdf``) through the Flask test client, the whole path:
  reading the posting, the template, WeasyPrint, the PDF; prints the median time, the pages and the time per page
  (target: at most 100 ms a page), and the ratio of the long posting's time per page to the one-page PDF's time
  (below 1: a page of a long posting costs less than a whole one-page PDF, whose fixed costs it shares);
* renders the long posting's HTML again, turn about, with the fonts and the print layout reused between renders
  (as the app does, ``core.pdf.shared``) and made anew each time, and prints both medians.

Not a test: it prints numbers and never fails a build.

    .venv/bin/python bench/posting_pdf.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

from bench.common import make_app, pdf_pages  # noqa: E402
from core import pdf, settings, timeutil  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Program, Role, Staff, StaffStatus, Team  # noqa: E402
from hiring.models import Posting, Template  # noqa: E402
from hiring.services import documents, postings  # noqa: E402

RUNS = 9
TARGET_MS_PER_PAGE = 100
BLANKS = {
    "Program/Team": "day program team",
    "Service Line": "Mental Health Service Line",
    "supervisor's title": "peer support supervisor",
    "Program": "Community Reintegration Program",
    "Department or Service Line": "Mental Health Service Line",
    "Service Line name": "Mental Health",
}
AGENCY = {
    "agency_name": "Harbor Valley Behavioral Health",
    "agency_street": "100 Harbor Street",
    "agency_city": "New Haven",
    "agency_region": "CT",
    "agency_postal_code": "06510",
}


def publish(template: Template | None, hr: Staff, team: Team, title: str) -> int:
    posting = postings.start_draft(template, hr)
    details = replace(
        postings.details_of(postings.current_version(posting)),
        title=title,
        program_id=team.program_id,
        team_id=team.id,
        setting="community",
        pay_min_cents=2600,
        pay_max_cents=3000,
        closes_on=timeutil.today() + timedelta(days=30),
        blanks=dict(BLANKS),
    )
    postings.save_details(posting, details, posting.version, hr)
    for action in ("review", "approve", "publish"):
        postings.move(posting, action, "", posting.version, hr, agency_ready=True)
    return posting.id


def build(app: Flask) -> tuple[int, int]:
    """The long posting (the sample, filled in) and the one-page posting; their ids."""
    with app.app_context():
        db.create_all()
        for key, value in AGENCY.items():
            settings.put(key, value)
        program = Program(code="CRP", name="Community Reintegration Program")
        team = Team(program=program, name="Day program")
        hr = Staff(email="hr@example.org", name="Harriet Reyes", status=StaffStatus.ACTIVE, teams=[])
        hr.set_roles({Role.HR})
        peer = Staff(email="peer@example.org", name="Pat Delgado", status=StaffStatus.ACTIVE, teams=[team])
        peer.set_roles({Role.PEER})
        db.session.add_all([program, team, hr, peer])
        db.session.flush()
        long_id = publish(None, hr, team, "Peer Specialist, Day Program")
        sample = documents.sample_document()
        first = sample["sections"][0]
        short = {
            "subtitle": sample["subtitle"],
            "sections": [{**first, "text": first["text"].split(". ")[0] + ".", "groups": [], "after": ""}],
        }
        template = Template(name="One page", title="Peer Specialist", document=documents.dump(short))
        db.session.add(template)
        db.session.flush()
        short_id = publish(template, hr, team, "Peer Specialist, One Page")
        db.session.commit()
        return long_id, short_id


def timed_request(app: Flask, url: str, runs: int = RUNS) -> tuple[float, int]:
    client = app.test_client()
    client.get(url)  # warm up: templates compiled, the thread's fonts and print layout made
    times, pages = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, url
        pages = pdf_pages(response.data)
    return statistics.median(times), pages


def reuse_against_fresh(app: Flask, posting_id: int) -> tuple[float, float]:
    """Median render times of the same HTML with the fonts and print layout reused, and made anew, turn about."""
    from hiring.views._common import pdf_html

    with app.test_request_context("/"):
        posting = db.session.get(Posting, posting_id)
        assert posting is not None
        html = pdf_html(posting, postings.current_version(posting))
        pdf.render_pdf(html, base_url="http://localhost/")
        reused, fresh = [], []
        for _ in range(RUNS):
            for fresh_each_time, times in ((False, reused), (True, fresh)):
                started = time.perf_counter()
                pdf.render_pdf(html, base_url="http://localhost/", fresh=fresh_each_time)
                times.append(time.perf_counter() - started)
    return statistics.median(reused), statistics.median(fresh)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-") as folder:
        instance = Path(folder) / "instance"
        instance.mkdir()
        app = make_app(f"sqlite:///{Path(folder) / 'bench.sqlite'}", instance)
        long_id, short_id = build(app)
        print(f"Posting PDF (GET /careers/<id>.pdf, the whole request), median of {RUNS} after a warm-up:")
        long_time, long_pages = timed_request(app, f"/careers/{long_id}.pdf")
        short_time, short_pages = timed_request(app, f"/careers/{short_id}.pdf")
        if short_pages != 1:
            print(f"  (the short posting printed {short_pages} pages, not one: shorten it)")
        per_page = long_time * 1000 / long_pages
        print(
            f"  the sample, filled in: {long_pages} pages, {long_time * 1000:7.1f} ms, "
            f"{per_page:6.1f} ms a page (target at most {TARGET_MS_PER_PAGE}) "
            f"{'OK' if per_page <= TARGET_MS_PER_PAGE else 'OVER'}"
        )
        print(f"  a one-page posting:    {short_pages} page,  {short_time * 1000:7.1f} ms")
        print(
            f"  a page of the long posting / the one-page PDF: {per_page / (short_time * 1000):.2f}x "
            f"(under 1: a long posting's pages share the fixed costs of a render)"
        )
        reused, fresh = reuse_against_fresh(app, long_id)
        print("Rendering the long posting's HTML only (core.pdf.render_pdf), turn about:")
        print(f"  fonts and print layout reused between renders: {reused * 1000:7.1f} ms")
        print(
            f"  made anew for every render:                    {fresh * 1000:7.1f} ms "
            f"({fresh / reused:.2f}x the reused)"
        )
        print("\nTimings vary between machines and runs, and with what else the machine is doing; read the ratios.")


if __name__ == "__main__":
    main()
