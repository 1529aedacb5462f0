"""PeerWorks served for real: gunicorn instances of ``wsgi:app`` on free loopback ports, sharing one database and
one rate-limit store, for the throughput figures (bench/throughput.py), the scale-out and worker-kill tests
(tests/servers/) and the load test (bench/load.py).

- ``demo_database`` makes a throwaway PostgreSQL database holding the demo agency (``flask db upgrade`` and
  ``flask seed-demo``, or a copy of one made so, which takes a second instead of a minute), ``drop_database``
  removes it;
- ``running`` starts N gunicorn masters on the same settings, waits until each answers a whole page and stops
  them all afterwards (``start``/``stop`` for the pieces);
- ``Visitor`` is a browser's worth of HTTP: one cookie jar, used against any instance (cookies on 127.0.0.1 go to
  every port, as a browser sends them), and forms posted with the CSRF token read from the page.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
FLASK = ROOT / ".venv" / "bin" / "flask"
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "peerworks-demo")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# --- Databases -----------------------------------------------------------------------------------------------------


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def server_url(url: str, database: str) -> str:
    """``url`` (any database of a PostgreSQL server) pointed at ``database`` on the same server."""
    parts = urlsplit(_psycopg_url(url))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def _admin(url: str, statement: str) -> None:
    import psycopg  # only the PostgreSQL runs need it

    with psycopg.connect(server_url(url, "postgres"), autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]  # names checked by _name, no input


def _name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def drop_database(url: str, name: str) -> None:
    _admin(url, f"DROP DATABASE IF EXISTS {_name(name)} WITH (FORCE)")


def flask(args: Sequence[str], env: Mapping[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``flask --app wsgi ARGS`` in its own process (as a scheduler runs it), checked."""
    return subprocess.run([str(FLASK), "--app", "wsgi", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, check=True, timeout=timeout)


def demo_database(url: str, name: str, *, like: str = "") -> str:
    """A new database ``name`` on ``url``'s server holding the demo agency; its URL. With ``like``, a copy of that
    database (made by this function before and not in use), else built by the migrations and ``seed-demo``."""
    drop_database(url, name)
    if like:
        _admin(url, f"CREATE DATABASE {_name(name)} TEMPLATE {_name(like)}")
        return server_url(url, name)
    _admin(url, f"CREATE DATABASE {_name(name)}")
    target = server_url(url, name)
    env = {"DATABASE_URL": target, "PEERWORKS_ENV": "development"}
    flask(["db", "upgrade"], env)
    flask(["seed-demo"], env)
    return target


# --- Servers -------------------------------------------------------------------------------------------------------


@dataclass
class Instance:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        """The process ids of the master's workers (from /proc, no extra tool)."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if f"\nPPid:\t{self.process.pid}\n" in text:
                found.append(int(status.parent.name))
        return found


def start(app_spec: str, env: Mapping[str, str], log: Path, *, workers: int = 1,
          prefix: Sequence[str] = (), options: Sequence[str] = ()) -> Instance:
    """One gunicorn master serving ``app_spec`` on a free loopback port (not yet waited for)."""
    port = free_port()
    command = [*prefix, str(GUNICORN), "--workers", str(workers), "--bind", f"{HOST}:{port}",
               "--log-level", "warning", "--timeout", "120", "--no-control-socket", *options, app_spec]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=output)
    return Instance(f"http://{HOST}:{port}", process, log)


def wait_until_answering(instance: Instance, seconds: float = 120) -> None:
    """Until a whole answer comes back: the master listens before its worker has booted."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with status {instance.process.returncode} (see {instance.log})")
        try:
            get(instance.base, "/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {instance.base} within {seconds:.0f} s (see {instance.log})")


def stop(instance: Instance) -> None:
    instance.process.send_signal(signal.SIGTERM)
    try:
        instance.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        instance.process.kill()
        instance.process.wait()


@contextmanager
def running(count: int, env: Mapping[str, str], logs: Path, *, app_spec: str = "wsgi:app", workers: int = 1,
            prefix: Sequence[str] = (), options: Sequence[str] = ()) -> Iterator[list[Instance]]:
    """``count`` gunicorn masters on the same settings, all answering; stopped on the way out."""
    instances: list[Instance] = []
    try:
        for number in range(count):
            instances.append(start(app_spec, env, logs / f"gunicorn-{number}.log", workers=workers,
                                   prefix=prefix, options=options))
        for instance in instances:
            wait_until_answering(instance)
        yield instances
    finally:
        for instance in instances:
            stop(instance)


# --- HTTP ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    location: str
    set_cookies: list[str]


def request(base: str, method: str, path: str, *, cookie: str = "", form: Mapping[str, str] | None = None,
            timeout: float = 60) -> Answer:
    """One request on a connection of its own."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=timeout)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read().decode(errors="replace"),
                      response.headers.get("Location", ""), response.headers.get_all("Set-Cookie") or [])
    finally:
        connection.close()


def get(base: str, path: str, cookie: str = "") -> tuple[int, str, list[str]]:
    """One GET: status, body, Set-Cookie headers."""
    answer = request(base, "GET", path, cookie=cookie)
    return answer.status, answer.body, answer.set_cookies


@dataclass
class Visitor:
    """One browser: a cookie jar sent to whichever instance it asks."""

    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _keep(self, answer: Answer) -> Answer:
        for header in answer.set_cookies:
            name, value = header.split(";", 1)[0].split("=", 1)
            if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def get(self, base: str, path: str) -> Answer:
        return self._keep(request(base, "GET", path, cookie=self.cookie))

    def post(self, base: str, path: str, fields: Mapping[str, str], *, form_page: str = "") -> Answer:
        """Posts ``fields`` with the CSRF token of the form on ``form_page`` (``path`` itself by default)."""
        page = self.get(base, form_page or path)
        token = _CSRF.search(page.body)
        if token is None:
            raise RuntimeError(f"GET {form_page or path} answered {page.status} without a form")
        return self._keep(request(base, "POST", path, cookie=self.cookie,
                                  form={"csrf_token": token.group(1), **fields}))

    def sign_in(self, base: str, email: str, password: str = DEMO_PASSWORD) -> Answer:
        return self.post(base, "/login", {"email": email, "password": password})
