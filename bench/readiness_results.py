"""Speed benchmark for a readiness campaign's results: does the page cost the same at 1,000 and 100,000 answers?

Builds two campaigns in a throwaway database, one with about 1,000 answers and one with about 100,000 (answers
and their running totals, and a completed invitation for each person who answered, on their team, inserted in
bulk), signs in as HR through the Flask test client and times

* ``GET /readiness/campaigns/<id>/results`` when that route exists, or else
* ``GET /readiness/campaigns/<id>/actions`` (domain scores from the running totals),

several times at each size. Prints the median times, their ratio (target: at most 2) and the number of SQL
queries at each size (target: equal). Not a test: it prints numbers and never fails a build.

    .venv/bin/python bench/readiness_results.py
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/peerworks_bench \\
        .venv/bin/python bench/readiness_results.py

The PostgreSQL database must be an empty throwaway one: the script creates the tables and drops them at the end.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.common import (  # noqa: E402
    Timing,
    analyze,
    empty,
    insert_rows,
    make_app,
    ratio_line,
    sqlite_url,
    throwaway_tables,
    time_page,
)
from core import sessions  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Program, Role, Staff, StaffStatus, Team  # noqa: E402
from core.timeutil import utcnow  # noqa: E402
from readiness.models import (  # noqa: E402
    NO_TEAM,
    Answer,
    Campaign,
    DomainTally,
    Invitation,
    InvitationStatus,
    ItemKind,
    ItemTally,
    OpenAnswer,
    Response,
    ResponseCount,
    RoleGroup,
    new_response_key,
    sort_key,
)
from readiness.services.default_instrument import ensure_default_instrument  # noqa: E402
from readiness.services.instruments import load_contents  # noqa: E402

SIZES = (1_000, 100_000)
RUNS = 7
TEAMS = 12
OPEN_ANSWERED = 0.6  # the share of people who write something in each open question
OPENINGS = ("More", "Less", "Clear", "Better", "Time for", "Training on", "Help with", "Worried about")
TOPICS = ("supervision", "boundaries", "the peer role", "paperwork", "safety", "relapse", "teamwork", "pay")
RESULTS_RULE = "/readiness/campaigns/<int:campaign_id>/results"
ACTIONS_RULE = "/readiness/campaigns/<int:campaign_id>/actions"


def build_campaign(name: str, answers_wanted: int, teams: list[Team], rng: random.Random) -> int:
    """A campaign on the default survey with about ``answers_wanted`` answers, and their totals."""
    instrument = load_contents(ensure_default_instrument(None).id)
    today = utcnow().date()
    campaign = Campaign(name=name, wave="Baseline", instrument_id=instrument.id, whole_organization=True,
                        opens_on=today, closes_on=today)
    db.session.add(campaign)
    db.session.flush()
    likert = [item for item in instrument.items if item.kind == ItemKind.LIKERT and item.domain_id is not None]
    open_items = [item.id for item in instrument.items if item.kind == ItemKind.TEXT]
    roles = [group.value for group in RoleGroup]
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    written: list[dict[str, Any]] = []
    item_tallies: Counter[tuple[int, int]] = Counter()
    points: Counter[tuple[int, str, int]] = Counter()
    scored: Counter[tuple[int, str, int]] = Counter()
    counts: Counter[tuple[int, str]] = Counter()
    while len(answers) + len(written) < answers_wanted:
        team = rng.choice(teams)
        role = rng.choice(roles)
        key = new_response_key()
        responses.append({"id": key, "campaign_id": campaign.id, "team_id": team.id, "role_group": role,
                          "tenure_band": "unsaid", "submitted_on": today})
        counts[(team.id or NO_TEAM, role)] += 1
        for item in likert:
            value = rng.randint(1, 5)
            answers.append({"response_id": key, "item_id": item.id, "value": value})
            item_tallies[(item.id, value)] += 1
            points[(team.id, role, item.domain_id)] += 6 - value if item.reversed else value
            scored[(team.id, role, item.domain_id)] += 1
        for item_id in open_items:
            if rng.random() < OPEN_ANSWERED:
                words = f"{rng.choice(OPENINGS)} {rng.choice(TOPICS)} ({rng.randrange(10**6)})"
                written.append({"campaign_id": campaign.id, "item_id": item_id, "sort_key": sort_key(words),
                                "response_id": key, "text": words})
                item_tallies[(item_id, 0)] += 1
    insert_rows(Response, responses)
    insert_rows(Answer, answers)
    insert_rows(OpenAnswer, written)
    # The people who answered, each with a completed invitation on their team: participation by team and the
    # small-group protection of the counts read them.
    people = [{"email": f"c{campaign.id}-{n}@bench.example", "name": f"Person {n}", "status": StaffStatus.ACTIVE}
              for n in range(len(responses))]
    insert_rows(Staff, people)
    staff_ids = db.session.scalars(
        select(Staff.id).where(Staff.email.like(f"c{campaign.id}-%")).order_by(Staff.id)
    ).all()
    invitations = [
        {"campaign_id": campaign.id, "staff_id": staff_id, "team_id": response["team_id"],
         "status": InvitationStatus.COMPLETED,
         "token_hash": hashlib.sha256(f"{campaign.id}-{staff_id}".encode()).hexdigest()}
        for staff_id, response in zip(staff_ids, responses, strict=True)
    ]
    insert_rows(Invitation, invitations)
    db.session.execute(insert(ItemTally), [
        {"campaign_id": campaign.id, "item_id": item, "value": value, "n": n}
        for (item, value), n in item_tallies.items()
    ])
    db.session.execute(insert(DomainTally), [
        {"campaign_id": campaign.id, "team_key": team, "role_group": role, "domain_id": domain,
         "points": points[(team, role, domain)], "answers": n}
        for (team, role, domain), n in scored.items()
    ])
    db.session.execute(insert(ResponseCount), [
        {"campaign_id": campaign.id, "team_key": team, "role_group": role, "n": n}
        for (team, role), n in counts.items()
    ])
    db.session.commit()
    print(f"  {name}: {len(responses):,} responses (and invitations), {len(answers):,} chosen and "
          f"{len(written):,} open answers, {len(item_tallies) + len(scored):,} running-total rows")
    return campaign.id


def pages(app: Flask) -> list[str]:
    """The results page once it exists (it is the one the target is about), then the action plan page."""
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if RESULTS_RULE not in rules:
        print(f"  {RESULTS_RULE} does not exist yet: timing the action plan page only")
        return [ACTIONS_RULE]
    return [RESULTS_RULE, ACTIONS_RULE]


def _path(rule: str, campaign_id: int) -> str:
    return rule.replace("<int:campaign_id>", str(campaign_id))


def collect(url: str, instance: Path, sizes: tuple[int, ...] = SIZES, runs: int = RUNS) -> dict[str, list[Timing]]:
    """Builds one campaign per size in the empty database at ``url``; each page's timing at each size."""
    app = make_app(url, instance)
    with throwaway_tables(app):
        rng = random.Random(4)
        program = Program(code="BEN", name="Bench program")
        teams = [Team(program=program, name=f"Team {n}") for n in range(1, TEAMS + 1)]
        hr = Staff(email="hr@bench.example", name="HR bench", status=StaffStatus.ACTIVE)
        hr.set_roles({Role.HR})
        db.session.add_all([program, *teams, hr])
        db.session.flush()
        ids = [build_campaign(f"{size:,} answers", size, teams, rng) for size in sizes]
        token = sessions.start(hr)
        db.session.commit()
        analyze()
        return {
            rule: [time_page(app, token, _path(rule, campaign_id), runs) for campaign_id in ids]
            for rule in pages(app)
        }


def report(measured: dict[str, list[Timing]], sizes: tuple[int, ...] = SIZES) -> None:
    for rule, timings in measured.items():
        print(f"  page {rule}")
        for size, found in zip(sizes, timings, strict=True):
            print(f"    {size:>7,} answers: median {found.median * 1000:8.1f} ms, {found.queries} queries, "
                  f"HTTP {found.status}")
        _ratio, time_verdict, query_verdict = ratio_line(timings[0], timings[-1])
        print(f"    {time_verdict.replace('time ratio', f'time ratio {sizes[-1]:,} / {sizes[0]:,}')}")
        print(f"    {query_verdict}")


def run(label: str, url: str, instance: Path) -> None:
    print(f"\n{label}: {url.split('@')[-1]}")
    app = make_app(url, instance)
    if not empty(app):
        print("  The database is not empty: give an empty throwaway database. Skipped.")
        return
    report(collect(url, instance))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-") as folder:
        instance = Path(folder) / "instance"
        run("SQLite", sqlite_url(Path(folder)), instance)
        postgres = os.environ.get("BENCH_DATABASE_URL")
        if postgres:
            run("PostgreSQL", postgres, instance)
        else:
            print("\nPostgreSQL: skipped (set BENCH_DATABASE_URL to an empty throwaway database to include it)")


if __name__ == "__main__":
    main()
