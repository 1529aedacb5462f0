"""The simulated users of `make load` (bench/load.py runs locust on this file): the main journeys of every role.

Each user has a session of its own on one of the demo accounts (many users share an account): one that bench/load.py
signed in through the real form before the run (``LOAD_SESSIONS``, a JSON file of cookies by account), else it
signs in itself. Then it repeats its role's journeys with a pause of THINK seconds between them:

- peer: home, caseload list, a client, log a contact (the form, then the save);
- supervisor: supervision, compliance, record a one-to-one session (the form, then the save);
- HR: hiring postings, a posting's candidates and a candidate, training dashboard, training's people;
- privacy officer: the audit screen, the safeguards screen, the emergency-access review queue;
- administrator: staff, a staff member's page, teams;
- staff (the clinician): caseload list, a client, and the readiness survey (the surveys page, open the survey, the
  survey's page; it is not sent, so every run finds it open).

Every request is named "role: journey" and must answer exactly as a browser expects (a page 200, a save or an open a
302): a redirect to the sign-in page or any other answer counts as an error. ``LOAD_HOSTS`` (comma-separated base
URLs) spreads the users over several instances.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from locust import HttpUser, between, task

from bench.load import ACCOUNTS

PASSWORD = os.environ.get("DEMO_PASSWORD", "peerworks-demo")
HOST = "127.0.0.1"
HOSTS = [host for host in os.environ.get("LOAD_HOSTS", "").split(",") if host]
THINK = (float(os.environ.get("LOAD_THINK_MIN", "5")), float(os.environ.get("LOAD_THINK_MAX", "15")))
SESSIONS: dict[str, list[dict[str, str]]] = (
    json.loads(Path(os.environ["LOAD_SESSIONS"]).read_text()) if os.environ.get("LOAD_SESSIONS") else {}
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLIENT = re.compile(r'/caseload/clients/(\d+)"')
POSTING = re.compile(r'/hiring/postings/(\d+)"')
INVITATION = re.compile(r'name="invitation"[^>]*value="(\d+)"')
CANDIDATE = re.compile(r'/hiring/candidates/(\d+)"')
STAFF_MEMBER = re.compile(r'/admin/staff/(\d+)"')
SUPERVISEE = re.compile(r'name="attendee_ids"[^>]*value="(\d+)"')
_numbers = count()


class SignedIn(HttpUser):
    abstract = True
    email = ""
    role = ""
    wait_time = between(*THINK)

    def on_start(self) -> None:
        if HOSTS:  # users spread over the instances in turn
            self.client.base_url = HOSTS[next(_numbers) % len(HOSTS)]
        if SESSIONS.get(self.email):
            for name, value in SESSIONS[self.email].pop().items():  # as the sign-in's answer set them
                self.client.cookies.set(name, value, domain=HOST, path="/")
        else:
            self.post("/login", {"email": self.email, "password": PASSWORD}, "sign in")

    def page(self, path: str, journey: str) -> str:
        """GET ``path``; a 200 page's body (anything else is an error)."""
        with self.client.get(path, name=f"{self.role}: {journey}", allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path} answered {response.status_code} {response.headers.get('Location', '')}")
                return ""
            return response.text or ""

    def post(self, path: str, fields: dict[str, str], journey: str, form: str = "") -> None:
        """The page ``form`` holding the form (else GET ``path`` for it), then the POST: a save answers a redirect."""
        token = CSRF.search(form or self.page(path, f"{journey} (form)"))
        if token is None:
            return
        with self.client.post(path, data={"csrf_token": token.group(1), **fields}, name=f"{self.role}: {journey}",
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
                response.failure(f"POST {path} answered {response.status_code}")


class Peer(SignedIn):
    email = "peer@example.org"
    weight = ACCOUNTS[email]
    role = "peer"
    clients: list[str]

    def on_start(self) -> None:
        super().on_start()
        self.clients = CLIENT.findall(self.page("/caseload/clients", "caseload list")) or ["0"]

    @task(3)
    def home(self) -> None:
        self.page("/", "home")

    @task(3)
    def caseload(self) -> None:
        self.page("/caseload/clients", "caseload list")

    @task(3)
    def a_client(self) -> None:
        self.page(f"/caseload/clients/{random.choice(self.clients)}", "a client")  # noqa: S311 - not a secret

    @task(1)
    def log_a_contact(self) -> None:
        day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        client = random.choice(self.clients)  # noqa: S311
        self.post(f"/caseload/clients/{client}/notes/new", {
            "happened_on": day, "kind": "advocacy", "minutes": "30", "place": "phone",
            "body": "Load test: called to check in about the housing application.",
        }, "log a contact")


class Supervisor(SignedIn):
    email = "supervisor@example.org"
    weight = ACCOUNTS[email]
    role = "supervisor"

    @task
    def supervision(self) -> None:
        self.page("/supervision/", "supervision")

    @task
    def compliance(self) -> None:
        self.page("/supervision/compliance", "compliance")

    @task
    def record_a_session(self) -> None:
        form = self.page("/supervision/sessions/new", "record a session (form)")
        supervisees = SUPERVISEE.findall(form)
        if not supervisees:
            return
        day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        self.post("/supervision/sessions/new", {
            "kind": "one_to_one", "attendee_ids": random.choice(supervisees),  # noqa: S311
            "held_on": day, "starts_at": "10:00", "duration_minutes": "60", "format": "in_person",
            "notes": "Load test: talked through the week's visits and boundaries.", "decisions": "",
        }, "record a session", form=form)


class HumanResources(SignedIn):
    email = "hr@example.org"
    weight = ACCOUNTS[email]
    role = "HR"

    @task
    def postings_and_candidates(self) -> None:
        postings = POSTING.findall(self.page("/hiring/", "hiring postings"))
        if postings:
            listed = self.page(f"/hiring/postings/{random.choice(postings)}/candidates", "candidates")  # noqa: S311
            candidates = CANDIDATE.findall(listed)
            if candidates:
                self.page(f"/hiring/candidates/{random.choice(candidates)}", "a candidate")  # noqa: S311

    @task
    def training_dashboard(self) -> None:
        self.page("/training/dashboard", "training dashboard")

    @task
    def training_people(self) -> None:
        self.page("/training/people", "training's people")


class PrivacyOfficer(SignedIn):
    email = "privacy@example.org"
    weight = ACCOUNTS[email]
    role = "privacy officer"

    @task
    def audit_screen(self) -> None:
        self.page("/audit/", "audit screen")

    @task
    def safeguards(self) -> None:
        self.page("/caseload/safeguards", "safeguards")
        self.page("/caseload/safeguards/grants", "emergency-access review queue")


class Administrator(SignedIn):
    email = "admin@example.org"
    weight = ACCOUNTS[email]
    role = "administrator"

    @task
    def staff(self) -> None:
        people = STAFF_MEMBER.findall(self.page("/admin/staff", "staff"))
        if people:
            self.page(f"/admin/staff/{random.choice(people)}", "a staff member")  # noqa: S311

    @task
    def teams(self) -> None:
        self.page("/admin/teams", "teams")


class Staff(SignedIn):
    email = "clinician@example.org"
    weight = ACCOUNTS[email]
    role = "staff"
    clients: list[str]

    def on_start(self) -> None:
        super().on_start()
        self.clients = CLIENT.findall(self.page("/caseload/clients", "caseload list")) or ["0"]

    @task
    def caseload(self) -> None:
        self.page("/caseload/clients", "caseload list")
        self.page(f"/caseload/clients/{random.choice(self.clients)}", "a client")  # noqa: S311

    @task
    def readiness_survey(self) -> None:
        surveys = self.page("/readiness/", "surveys for you")
        invitation = INVITATION.search(surveys)
        if invitation is None:
            raise RuntimeError(f"{self.email} has no survey to open")
        self.post("/readiness/survey/open", {"invitation": invitation.group(1)}, "open the survey", form=surveys)
        self.page("/readiness/survey", "the survey")
