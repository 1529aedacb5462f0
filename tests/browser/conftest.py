"""Browser tests: a live PeerWorks holding the demo agency, driven by Debian's chromium through Playwright.

One SQLite file is built once by the migrations and the demo loader; three live servers share it:

* ``live_server``: the app as configured for people (15-minute idle time-out, CSRF on);
* ``short_session_server``: the same app with a short idle time-out, so the session warning shows within seconds;
* ``short_limit_server``: the same app where a whole sign-in lasts seconds, for the warning that cannot be extended.

Screenshots go to ``test-artifacts/browser-<timestamp>/`` (named once at the end of the run): one of every page whose
accessibility check fails, and, with ``PEERWORKS_SCREENSHOTS=1``, one full-page PNG per role and page checked.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect
from werkzeug.serving import BaseWSGIServer, make_server

from core import timeutil
from core.app import ROOT, create_app

# Debian's chromium binary itself, not its /usr/bin/chromium launcher script: the script adds flags for a desktop
# (GPU rasterization, component extensions, a crash reporter) that cost a headless run about 13% more CPU a page.
CHROMIUM = next((path for path in (Path("/usr/lib/chromium/chromium"), Path("/usr/bin/chromium")) if path.exists()),
                Path("/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "peerworks-demo"
DEMO_EMAILS = {
    "admin": "admin@example.org",
    "hr": "hr@example.org",
    "supervisor": "supervisor@example.org",
    "peer": "peer@example.org",
    "clinician": "clinician@example.org",
    "privacy": "privacy@example.org",
}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],  # the same rules and the same violations; less detail about what passed
}
# Every axe check looks at the page as it is and again at a phone's width (a wide table must scroll there).
PHONE = {"width": 390, "height": 844}

# The short-session servers: the warning opens SHORT_WARNING seconds before the SHORT_IDLE deadline (or before the
# SHORT_LIMIT on the longest a sign-in may last).
SHORT_IDLE = 10
SHORT_LIMIT = 9
SHORT_WARNING = 6

_ARTIFACTS: dict[str, Path] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives the browser. The modules mark themselves; this catches a new one that
    forgets, so `-m "not browser"` (the PostgreSQL pass) always leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    folder = _ARTIFACTS.get("folder")
    if folder is not None:
        terminalreporter.write_line(f"Browser screenshots: {folder}")


# --- The browser -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium: `playwright install` cannot download a browser here."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package (make system-test)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], live_server: LiveServer) -> dict[str, Any]:
    """The base URL is set here, not only through ``base_url``: pytest-playwright keeps its own context arguments for
    the whole session, so a module elsewhere that serves its own app (tests/readiness/test_browser.py) and asks for
    them first would leave its server's address in every later context of this worker."""
    return {**browser_context_args, "base_url": live_server.url, "viewport": {"width": 1280, "height": 800},
            "locale": "en-US"}


# --- The live servers --------------------------------------------------------------------------------------------


class _ErrorCollector(logging.Handler):
    """Keeps the errors the app logs (an unexpected exception on a request), to show with a failing page."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message += f": {type(error).__name__}: {error}"
        self.errors.append(message)


@dataclass(frozen=True)
class LiveServer:
    app: Flask
    url: str
    collector: _ErrorCollector

    def at(self, path: str) -> str:
        return self.url + path

    def take_errors(self) -> str:
        """What the app logged as errors since the last call ('' when nothing)."""
        errors, self.collector.errors[:] = list(self.collector.errors), []
        return "\n".join(errors)


def _live_config(database: str) -> dict[str, Any]:
    return {
        "SECRET_KEY": "browser-tests",
        "SQLALCHEMY_DATABASE_URI": database,
        "RATELIMIT_ENABLED": False,
        "TRUSTED_HOSTS": None,  # served at 127.0.0.1, whatever TRUSTED_HOSTS the shell has
    }


def _make_app(instance: Path, config: dict[str, Any]) -> Flask:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERWORKS_INSTANCE", str(instance))
        return create_app(config)


def demo_database(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[str, Path]:
    """A file SQLite database of its own, built by the migrations and holding the demo agency, and an instance
    folder. The agency is built once per worker and copied for each server that asks, so no server sees another's
    changes."""
    template = tmp_path_factory.getbasetemp() / "demo-agency.sqlite3"
    if not template.exists():
        building = template.with_suffix(".building")
        app = _make_app(template.parent / "demo-instance", _live_config(f"sqlite:///{building}"))
        with app.app_context():
            from flask_migrate import upgrade

            from core import demo
            from core.extensions import db

            upgrade()
            demo.load(password=DEMO_PASSWORD)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        building.rename(template)
    folder = tmp_path_factory.mktemp(name)
    shutil.copyfile(template, folder / "browser.sqlite3")
    return f"sqlite:///{folder / 'browser.sqlite3'}", folder / "instance"


@pytest.fixture(scope="session")
def browser_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A file SQLite database built by the migrations and holding the demo agency."""
    return demo_database(tmp_path_factory, "browser")


AXE_PATH = "/__tests__/axe.min.js"
_AXE_ORIGINS: set[str] = set()  # the live servers that serve AXE_PATH


class _ServesAxe:
    """Beside the app, outside it (no route, no policy, no session): axe-core at AXE_PATH, kept by the browser. A
    page loads it with a script tag (same origin: the app's CSP allows it), so Chromium compiles the 570 kB once per
    browser and reuses the code on every later page, where ``page.evaluate`` compiled it again for each page."""

    def __init__(self, app: Flask, script: bytes) -> None:
        self.app = app
        self.script = script

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != AXE_PATH:
            return self.app(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/javascript; charset=utf-8"),
                                  ("Content-Length", str(len(self.script))),
                                  ("Cache-Control", "public, max-age=31536000, immutable")])
        return [self.script]


def _serve(app: Flask) -> Iterator[LiveServer]:
    served = _ServesAxe(app, QuickAxe().axe_script.encode())
    server: BaseWSGIServer = make_server("127.0.0.1", 0, served, threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    collector = _ErrorCollector()
    app.logger.addHandler(collector)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    _AXE_ORIGINS.add(url)
    try:
        yield LiveServer(app=app, url=url, collector=collector)
    finally:
        _AXE_ORIGINS.discard(url)
        app.logger.removeHandler(collector)
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            from core.extensions import db

            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(browser_database: tuple[str, Path]) -> Iterator[LiveServer]:
    """PeerWorks as people get it: CSRF on, a 15-minute idle time-out."""
    database, instance = browser_database
    yield from _serve(_make_app(instance, _live_config(database)))


@pytest.fixture(scope="session")
def short_session_server(browser_database: tuple[str, Path]) -> Iterator[LiveServer]:
    """The same app and database, signing people out after SHORT_IDLE seconds without activity. The session's
    last_seen_at is kept to the second here instead of the minute (SESSION_SEEN_STEP), in proportion to the short
    time-out: the rounding to the minute and its deadline are tested in tests/core/test_sessions.py."""
    database, instance = browser_database
    config = {
        **_live_config(database),
        "IDLE_TIMEOUT": timedelta(seconds=SHORT_IDLE),
        "WARNING_BEFORE": timedelta(seconds=SHORT_WARNING),
        "SESSION_SEEN_STEP": timedelta(seconds=1),
    }
    yield from _serve(_make_app(instance, config))


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Relative addresses in page.goto go to the live server (this also replaces pytest-playwright's fixture)."""
    return live_server.url


@pytest.fixture(scope="session")
def short_limit_server(browser_database: tuple[str, Path]) -> Iterator[LiveServer]:
    """The same app and database, where a sign-in lasts at most SHORT_LIMIT seconds however active you are."""
    database, instance = browser_database
    config = {
        **_live_config(database),
        "ABSOLUTE_TIMEOUT": timedelta(seconds=SHORT_LIMIT),
        "WARNING_BEFORE": timedelta(seconds=SHORT_WARNING),
    }
    yield from _serve(_make_app(instance, config))


# --- One clock for the page and the servers ----------------------------------------------------------------------


class SharedClock:
    """The live servers' clock and the browser's, moved forward together: a test of a 10-second time-out jumps over
    the seconds nobody acts instead of waiting them out. Between jumps both run at real speed (Playwright's
    ``clock.install`` with ``fast_forward``; on the server ``core.timeutil.clock`` plus the jumped seconds), so the
    page's own timers, its questions to the server and the server's answers happen as they would; a jump fires each
    timer that falls due at most once, as a tab put in the background does."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.contexts: list[BrowserContext] = []

    def __call__(self) -> datetime:
        """The servers' now (core.timeutil.clock)."""
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def install(self, context: BrowserContext) -> BrowserContext:
        """Put the browser's pages in ``context`` on this clock; before its first page opens."""
        context.clock.install()
        self.contexts.append(context)
        return context

    def monotonic(self) -> float:
        """time.monotonic(), jumps included."""
        return time.monotonic() + self.offset

    def jump(self, seconds: float) -> None:
        self.offset += seconds  # the servers first: a page that asks at once hears the new time
        for context in self.contexts:
            context.clock.fast_forward(round(seconds * 1000))


@pytest.fixture
def shared_clock(monkeypatch: pytest.MonkeyPatch) -> SharedClock:
    """A clock the servers and the browser contexts given to ``install`` share, for this test."""
    clock = SharedClock()
    monkeypatch.setattr(timeutil, "clock", clock)
    return clock


# --- Helpers for the tests ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/browser-<timestamp>/: the screenshots of this run."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = ROOT / "test-artifacts" / f"browser-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    _ARTIFACTS["folder"] = folder
    return folder


def screenshots_wanted() -> bool:
    """Screenshots of passing pages only when PEERWORKS_SCREENSHOTS=1: a full-page PNG costs about as much as loading
    the page, and nothing reads them unless a person looks. A page that fails its check is always photographed."""
    return os.environ.get("PEERWORKS_SCREENSHOTS", "") not in ("", "0")


def take_screenshot(artifacts: Path, page: Page, name: str, *, full_page: bool = True) -> Path:
    path = artifacts / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def screenshot(artifacts: Path) -> Callable[..., Path | None]:
    """screenshot(page, "role-page"): a full-page PNG (full_page=False for what is on screen: open menus, dialogs)
    when PEERWORKS_SCREENSHOTS=1 or ``always`` (a page that failed its check); otherwise nothing (None)."""

    def take(page: Page, name: str, *, full_page: bool = True, always: bool = False) -> Path | None:
        if not (always or screenshots_wanted()):
            return None
        return take_screenshot(artifacts, page, name, full_page=full_page)

    return take


class QuickAxe(Axe):
    """axe-playwright-python's Axe, run the same way but cheaper: the 570 kB axe script is put into a page only when
    that page does not have it yet (a second check of the same page, at a phone's width, reuses it), from the live
    server's AXE_PATH so the browser keeps it compiled (about 0.1 s less a page), and only the violations travel
    back to Python (the passes are most of axe's answer, and nothing here reads them)."""

    def run(
        self, page: Page, context: str | list[Any] | dict[str, Any] | None = None, options: dict[str, Any] | None = None
    ) -> AxeResults:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
            if origin in _AXE_ORIGINS:
                page.add_script_tag(url=origin + AXE_PATH)
            else:
                page.evaluate(self.axe_script)
        violations = page.evaluate(
            "([context, options]) => axe.run(context || document, options || {}).then(results => results.violations)",
            [context, options if options is not None else AXE_OPTIONS],
        )
        return AxeResults({"violations": violations})


@pytest.fixture(scope="session")
def axe() -> Axe:
    return QuickAxe()


def axe_report(axe: Axe, page: Page, options: dict[str, Any] | None = None) -> str:
    """axe on the page at its own width and at a phone's (390 px); '' when clean, else the readable reports."""
    shown = page.viewport_size
    widths = [shown] if shown is not None and shown["width"] == PHONE["width"] else [shown, PHONE]
    reports = []
    try:
        for size in widths:
            if size is not None and size != page.viewport_size:
                page.set_viewport_size(size)
            results = axe.run(page, options=options or AXE_OPTIONS)
            if results.violations_count:
                width = (size or {}).get("width", "default")
                reports.append(f"{page.url} at {width} px wide\n{results.generate_report()}")
    finally:
        if shown is not None and page.viewport_size != shown:
            page.set_viewport_size(shown)
    return "\n".join(reports)


@pytest.fixture
def axe_violations(axe: Axe) -> Callable[[Page], str]:
    """Run axe on the page as it is now, and at a phone's width; '' when it finds nothing, else the report."""

    def run(page: Page) -> str:
        return axe_report(axe, page)

    return run


def sign_in(page: Page, server: LiveServer, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form and wait for the home page."""
    page.goto(server.at("/login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Welcome, "))
