"""Requests per second of one gunicorn worker pinned to core 0, loaded by wrk pinned to core 1.

``serve`` starts gunicorn (one sync worker) on a free loopback port, ``load`` runs wrk (or, when wrk is not installed,
a small Python load generator) against one URL with a cookie, ``sign_in`` signs in once through the real form and
returns the cookie header to reuse. ``hello`` is the raw WSGI app every share is taken of; ``flask_hello`` is Flask's
hello world, served as a reference point.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from bench import servers
from bench.servers import get

CONNECTIONS = 8
HOST = "127.0.0.1"


def hello(_environ: dict, start_response) -> list[bytes]:  # noqa: ANN001 - the WSGI callable
    """The raw WSGI hello world: the ceiling one worker reaches on this machine."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
    return [b"Hello world\n"]


def _flask_hello() -> object:
    from flask import Flask

    app = Flask("flask_hello")
    app.add_url_rule("/", "hello", lambda: "Hello world\n")
    return app


flask_hello = _flask_hello()  # Flask's own floor: a route that returns a string, nothing else


def pinning(core: int) -> list[str]:
    """``taskset -c <core>`` when taskset is installed (and the core exists), else nothing."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > core:
        return ["taskset", "-c", str(core)]
    return []


def tools() -> str:
    """What the figures were taken with, for the report."""
    generator = "wrk" if shutil.which("wrk") else "a Python load generator (wrk is not installed)"
    pinned = "pinned with taskset" if pinning(1) else "NOT pinned (taskset missing or one core)"
    return f"gunicorn, one sync worker on core 0; {generator} with {CONNECTIONS} connections on core 1; {pinned}"


@contextmanager
def serve(app_spec: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn serving ``app_spec`` (``module:callable``) with one worker on core 0; yields its base URL."""
    with servers.running(1, env, log.parent, app_spec=app_spec, prefix=pinning(0)) as (instance,):
        yield instance.base


def sign_in(base: str, email: str, password: str) -> str:
    """Signs in through the real sign-in form; the Cookie header that carries the session."""
    visitor = servers.Visitor()
    answer = visitor.sign_in(base, email, password)
    if answer.status != 302:
        raise RuntimeError(f"signing in as {email} answered {answer.status}, not a redirect")
    return visitor.cookie


def load(url: str, seconds: float, cookie: str = "") -> float:
    """Requests per second of ``url`` over ``seconds``; raises when any answer was not a 2xx or 3xx."""
    if shutil.which("wrk"):
        return _wrk(url, seconds, cookie)
    return _python_load(url, seconds, cookie)


def _wrk(url: str, seconds: float, cookie: str) -> float:
    command = [*pinning(1), "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 120)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    if bad:
        raise RuntimeError(f"{bad.group(1)} answers of {url} were not 2xx or 3xx")
    errors = re.search(r"Socket errors:.*", done.stdout)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if rate is None or float(rate.group(1)) == 0:
        raise RuntimeError(f"wrk measured no requests: {done.stdout} {done.stderr}")
    if errors and "timeout" in errors.group(0) and not errors.group(0).endswith("timeout 0"):
        raise RuntimeError(f"wrk: {errors.group(0)}")
    return float(rate.group(1))


def _python_load(url: str, seconds: float, cookie: str) -> float:
    """Only when wrk is absent: CONNECTIONS threads, each a keep-alive-free GET loop (as gunicorn's sync worker)."""
    parts = urlsplit(url)
    base, path = f"http://{parts.netloc}", parts.path + (f"?{parts.query}" if parts.query else "")
    counts = [0] * CONNECTIONS
    failures: list[int] = []
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        while time.monotonic() < deadline:
            status, _body, _cookies_set = get(base, path, cookie)
            if status >= 400:
                failures.append(status)
                return
            counts[index] += 1

    pinned = bool(pinning(1)) and hasattr(os, "sched_setaffinity")
    before = os.sched_getaffinity(0) if pinned else None
    if pinned:
        os.sched_setaffinity(0, {1})  # this process on core 1 while it loads, as wrk would be
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    if failures:
        raise RuntimeError(f"{url} answered {failures[0]}")
    return sum(counts) / (time.monotonic() - started)
