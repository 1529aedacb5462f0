"""``make bench``: every speed figure of issue 14, measured in one run on this machine, against its target.

    make bench                       # or: .venv/bin/python -m bench, or .venv/bin/python bench/run.py
    BENCH_QUICK=1 make bench         # small sizes, a few seconds a figure: checks the tool, not the figures
    BENCH_SECTIONS=list make bench   # only some sections (list, size, pdf, audit)

Prints a table (figure, target, measured, met?) and writes it as ``results.md``, with ``chart.png`` (each figure as
a share of its target), into ``bench-results/<UTC time>/`` (or ``BENCH_RESULTS``); exits 1 when a target is missed.
``BENCH_TARGETS="list_share=0.2,size_ratio=1.5"`` changes targets (the test uses it to make one impossible).
bench/README.md says what each figure is and how it is taken.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import floor, lists, throughput  # noqa: E402
from bench.common import SECRET_KEY, Timing, make_app, signed_in, sqlite_url, time_page  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


@dataclass(frozen=True)
class Sizes:
    list_rows: tuple[int, int]  # rows added to every list page: small, large
    load_seconds: float  # each wrk run
    runs: int  # timed requests a page, after a warm-up
    readiness: tuple[int, int]  # answers
    training: tuple[tuple[int, int], tuple[int, int]]  # staff, CE entries
    supervision: tuple[tuple[int, int], tuple[int, int]]  # supervisors, peers
    audit_pack_courses: int
    pdf_runs: int  # 0: each PDF script's own number of runs
    write_requests: int
    verify_entries: int


FULL = Sizes((10, 10_000), 10, 7, (1_000, 100_000), ((500, 10_000), (5_000, 100_000)), ((20, 200), (200, 2_000)),
             60, 0, 40, 200_000)
SMALL = Sizes((10, 100), 1, 1, (100, 1_000), ((20, 200), (100, 1_000)), ((2, 20), (5, 50)), 4, 1, 4, 5_000)

# key: (default, "at least" or "at most", unit shown)
TARGETS: dict[str, tuple[float, str]] = {
    "list_share": (0.12, "at least"),
    "size_ratio": (2.0, "at most"),
    "pdf_ms_per_page": (100.0, "at most"),
    "audit_pack_ratio": (25.0, "at most"),
    "audit_share": (0.05, "at most"),
    "verify_rows_per_s": (100_000.0, "at least"),
}


def targets() -> dict[str, float]:
    """The targets, with any ``BENCH_TARGETS=key=value,...`` override."""
    found = {key: value for key, (value, _way) in TARGETS.items()}
    for item in filter(None, os.environ.get("BENCH_TARGETS", "").split(",")):
        key, _, value = item.partition("=")
        if key.strip() not in found:
            raise SystemExit(f"BENCH_TARGETS: unknown target {key!r} (known: {', '.join(found)})")
        found[key.strip()] = float(value)
    return found


@dataclass
class Figure:
    name: str
    target: str
    measured: str
    met: bool
    margin: float | None = None  # measured against its target, 1 = just met, above 1 = better than the target


class Report:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.references: list[tuple[str, str]] = []  # figures with no target, to read the others by
        self.goals = targets()

    def reference(self, name: str, measured: str) -> None:
        self.references.append((name, measured))
        print(f"  {name}: {measured} (reference, no target)", flush=True)

    def add(self, name: str, key: str, value: float, shown: str, *, also: bool = True, note: str = "") -> None:
        """A figure against the target ``key``; ``also`` must hold too (e.g. equal query counts)."""
        goal = self.goals[key]
        way = TARGETS[key][1]
        met = (value >= goal if way == "at least" else value <= goal) and also
        if way == "at least":
            margin = value / goal if goal else float("inf")
        else:
            margin = goal / value if value else float("inf")
        target = f"{way} {_number(goal, key)}" + (f"; {note}" if note else "")
        self.figures.append(Figure(name, target, shown, met, margin))
        print(f"  {name}: {shown} ({target}) {'met' if met else 'MISSED'}", flush=True)

    def check(self, name: str, target: str, measured: str, met: bool) -> None:
        self.figures.append(Figure(name, target, measured, met, 1.0 if met else 0.5))
        print(f"  {name}: {measured} ({target}) {'met' if met else 'MISSED'}", flush=True)

    def failed(self, section: str, error: BaseException) -> None:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        self.figures.append(Figure(section, "runs to the end", f"error: {detail}", False, None))
        print(f"  {section}: FAILED\n{traceback.format_exc()}", flush=True)


def _number(value: float, key: str) -> str:
    if key in ("list_share", "audit_share"):
        return f"{value:.0%}" if value * 100 == round(value * 100) else f"{value:.1%}"
    if key in ("size_ratio", "audit_pack_ratio"):
        return f"{value:g}x"
    if key == "pdf_ms_per_page":
        return f"{value:g} ms a page"
    return f"{value:,.0f} rows/s"


# --- the list pages: queries at both sizes, small against large, requests per second ---


def list_pages(report: Report, sizes: Sizes, folder: Path) -> None:
    instance = folder / "instance"
    base = sqlite_url(folder, "agency")
    started = time.perf_counter()
    lists.build_demo(base, instance, minimal=QUICK)
    print(f"  the {'minimal' if QUICK else 'demo'} agency built in {time.perf_counter() - started:.1f} s", flush=True)
    measured: list[dict[str, Timing]] = []
    for rows in sizes.list_rows:
        name = f"agency-{rows}"
        shutil.copy(folder / "agency.sqlite", folder / f"{name}.sqlite")
        app = make_app(sqlite_url(folder, name), instance)
        with app.app_context():
            lists.add_rows(rows)
            paths, tokens = lists.paths(), lists.tokens()
            measured.append({page.key: time_page(app, tokens[page.email], paths[page.key], sizes.runs)
                             for page in lists.PAGES})
            from core.extensions import db

            db.session.remove()
            db.engine.dispose()
    small_rows, large_rows = sizes.list_rows
    for page in lists.PAGES:
        small, large = measured[0][page.key], measured[1][page.key]
        ok = small.status == large.status == 200
        report.check(f"{page.label}: queries at {small_rows:,} and {large_rows:,} rows", "equal, HTTP 200",
                     f"{small.queries} and {large.queries}" + ("" if ok else f" (HTTP {small.status}/{large.status})"),
                     ok and small.queries == large.queries)
    hiring = "hiring"
    small, large = measured[0][hiring], measured[1][hiring]
    report.add(f"Hiring pipeline (a posting's candidates), {large_rows:,} against {small_rows:,} candidates",
               "size_ratio", large.median / small.median, _ratio(small, large), also=small.queries == large.queries,
               note="same queries")
    requests_per_second(report, sizes, folder / f"agency-{large_rows}.sqlite", instance, large_rows)


def requests_per_second(report: Report, sizes: Sizes, database: Path, instance: Path, rows: int) -> None:
    log = database.parent / "gunicorn.log"
    with throughput.serve("bench.throughput:hello", {}, log) as base:
        hello = throughput.load(f"{base}/", sizes.load_seconds)
    print(f"  raw WSGI hello world: {hello:,.0f} req/s ({throughput.tools()})", flush=True)
    with throughput.serve("bench.throughput:flask_hello", {}, log) as base:
        flask_hello = throughput.load(f"{base}/", sizes.load_seconds)
    report.reference("Flask hello world (a route returning a string), share of raw WSGI",
                     f"{flask_hello / hello:.1%} ({flask_hello:,.0f} of {hello:,.0f} req/s)")
    floor.build(database.parent / "floor.sqlite")
    with throughput.serve("bench.floor:app", {"FLOOR_DATABASE": str(database.parent / "floor.sqlite")}, log) as base:
        bare = throughput.load(f"{base}/items", sizes.load_seconds, floor.cookie(base))
    report.reference(f"The floor of a signed-in list page on the fixed stack, without PeerWorks (bench/floor.py: "
                     f"Flask-Login, Flask-SQLAlchemy, 25 of {floor.ROWS:,} rows and their count, Jinja), "
                     "share of raw WSGI",
                     f"{bare / hello:.1%} ({bare:,.0f} of {hello:,.0f} req/s)")
    env = {"DATABASE_URL": f"sqlite:///{database}", "PEERWORKS_INSTANCE": str(instance), "SECRET_KEY": SECRET_KEY,
           "PEERWORKS_ENV": "development", "LOGIN_RATE_LIMIT": "1000 per minute"}
    app = make_app(f"sqlite:///{database}", instance)
    with app.app_context():
        paths = lists.paths()
    with throughput.serve("wsgi:app", env, log) as base:
        password = os.environ.get("DEMO_PASSWORD", "peerworks-demo")
        cookies = {email: throughput.sign_in(base, email, password) for email in {p.email for p in lists.PAGES}}
        # What every page pays before any list: the sign-in page (no one signed in, no query) and a signed-in page
        # that reads nothing of its own (the password form).
        for name, path, cookie in (("The sign-in page, nobody signed in", "/login", ""),
                                   ("A signed-in page with nothing to list (the password form, peer)",
                                    "/account/password", cookies["peer@example.org"])):
            rate = throughput.load(base + path, sizes.load_seconds, cookie)
            report.reference(f"{name}, share of raw WSGI", f"{rate / hello:.1%} ({rate:,.0f} of {hello:,.0f} req/s)")
        for page in lists.PAGES:
            status, _body, _set = throughput.get(base, paths[page.key], cookies[page.email])
            if status != 200:
                report.check(f"{page.label}: requests per second", "HTTP 200", f"HTTP {status}", False)
                continue
            rate = throughput.load(base + paths[page.key], sizes.load_seconds, cookies[page.email])
            report.add(f"{page.label}: requests per second, share of raw WSGI ({rows:,} rows)", "list_share",
                       rate / hello, f"{rate / hello:.1%} ({rate:,.0f} of {hello:,.0f} req/s)")


def _ratio(small: Timing, large: Timing) -> str:
    return (f"{large.median / small.median:.2f}x ({small.median * 1000:.0f} -> {large.median * 1000:.0f} ms; "
            f"{small.queries} and {large.queries} queries)")


# --- the pages whose targets are about data size: the existing benchmarks' own builds and timings ---


def small_against_large(report: Report, sizes: Sizes, folder: Path) -> None:
    from bench import readiness_results, supervision_compliance, training_dashboard

    instance = folder / "instance"
    steps: list[tuple[str, Callable[[], None]]] = []

    def readiness() -> None:
        found = readiness_results.collect(sqlite_url(folder, "readiness"), instance, sizes.readiness, sizes.runs)
        for rule, (small, large) in found.items():
            report.add(f"Readiness `{rule}`, {sizes.readiness[1]:,} against {sizes.readiness[0]:,} answers",
                       "size_ratio", large.median / small.median, _ratio(small, large),
                       also=small.queries == large.queries, note="same queries")

    def training() -> None:
        urls = [sqlite_url(folder, f"training{n}") for n in range(2)]
        small, large = training_dashboard.collect(urls, instance, sizes.training, sizes.runs)
        for path in training_dashboard.PAGES:
            report.add(f"Training `{path}`, {sizes.training[1][0]:,} against {sizes.training[0][0]:,} staff",
                       "size_ratio", large[path].median / small[path].median, _ratio(small[path], large[path]),
                       also=small[path].queries == large[path].queries, note="same queries")

    def supervision() -> None:
        urls = [sqlite_url(folder, f"supervision{n}") for n in range(2)]
        small, large = supervision_compliance.collect(urls, instance, sizes.supervision, sizes.runs)
        for name in supervision_compliance.PAGES:
            report.add(f"Supervision compliance ({name}), {sizes.supervision[1][1]:,} against "
                       f"{sizes.supervision[0][1]:,} peers", "size_ratio", large[name].median / small[name].median,
                       _ratio(small[name], large[name]), also=small[name].queries == large[name].queries,
                       note="same queries")

    steps = [("Readiness results", readiness), ("Training expiry", training), ("Supervision compliance", supervision)]
    for section, step in steps:
        try:
            step()
        except Exception as error:  # noqa: BLE001 - one broken figure must not hide the others
            report.failed(section, error)


# --- PDFs ---


def pdfs(report: Report, sizes: Sizes, folder: Path) -> None:
    from bench import posting_pdf, training_audit_pack

    app = make_app(sqlite_url(folder, "posting"), folder / "instance")
    long_id, _short_id = posting_pdf.build(app)
    seconds, pages = posting_pdf.timed_request(app, f"/careers/{long_id}.pdf", sizes.pdf_runs or posting_pdf.RUNS)
    per_page = seconds * 1000 / pages
    report.add(f"A job posting's PDF ({pages} pages, the whole request)", "pdf_ms_per_page", per_page,
               f"{per_page:.0f} ms a page ({seconds * 1000:.0f} ms)")
    pack_folder = folder / "audit-pack"
    pack_folder.mkdir()
    found = training_audit_pack.measure(pack_folder, sizes.audit_pack_courses,
                                        sizes.pdf_runs or training_audit_pack.RUNS)
    report.add(f"Training audit pack ({found.courses} courses, {found.pack_pages} pages) against a one-page PDF",
               "audit_pack_ratio", found.ratio,
               f"{found.ratio:.1f}x ({statistics.median(found.pack) * 1000:.0f} against "
               f"{statistics.median(found.one) * 1000:.0f} ms)")


# --- the audit chain ---


def audit_chain(report: Report, sizes: Sizes, folder: Path) -> None:
    audit_share(report, sizes, folder)
    verify_speed(report, sizes, folder)


def audit_share(report: Report, sizes: Sizes, folder: Path) -> None:
    """The share of a write request spent chaining its entries: inside ``core.audit.record`` (the head taken, the
    entry hashed and written) and ``core.audit._write_head`` (the head written just before the commit)."""
    from core import audit
    from core.extensions import db

    database = folder / f"agency-{sizes.list_rows[1]}.sqlite"
    if not database.exists():  # the list pages failed before building it
        lists.build_demo(f"sqlite:///{database}", folder / "instance", minimal=True)
    app = make_app(f"sqlite:///{database}", folder / "instance")
    original, original_head = audit.record, audit._write_head
    inside: list[float] = []

    def timed_record(*args: object, **kwargs: object) -> object:
        # What the request had pending is written first, outside the timing: the commit would write it anyway,
        # and record's own flush would otherwise count it as the chain's cost.
        db.session.flush()
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            inside.append(time.perf_counter() - started)

    def timed_head(session: object) -> None:
        started = time.perf_counter()
        try:
            original_head(session)  # type: ignore[arg-type]
        finally:
            inside.append(time.perf_counter() - started)

    with app.app_context():
        token = lists.tokens()["peer@example.org"]
    client = signed_in(app, token)
    form = {"name": "Bench Write", "date_of_birth": "1980-02-03", "program": "", "status": "referred",
            "assign_me": "peer", "version": ""}
    with app.app_context():
        warm = client.post("/caseload/clients/new", data=form)
    if warm.status_code != 302:
        raise RuntimeError(f"POST /caseload/clients/new answered {warm.status_code}, not a redirect")
    audit.record, audit._write_head = timed_record, timed_head
    totals, recorded = [], []
    try:
        for n in range(sizes.write_requests):
            inside.clear()
            started = time.perf_counter()
            with app.app_context():
                answer = client.post("/caseload/clients/new", data={**form, "name": f"Bench Write {n}"})
            totals.append(time.perf_counter() - started)
            if answer.status_code != 302:
                raise RuntimeError(f"POST /caseload/clients/new answered {answer.status_code}, not a redirect")
            recorded.append(sum(inside))
    finally:
        audit.record, audit._write_head = original, original_head
        with app.app_context():
            db.engine.dispose()
    share = sum(recorded) / sum(totals)
    report.add("Audit chain's share of a write request (POST /caseload/clients/new)", "audit_share", share,
               f"{share:.1%} ({statistics.median(recorded) * 1000:.1f} of {statistics.median(totals) * 1000:.0f} ms)")


def verify_speed(report: Report, sizes: Sizes, folder: Path) -> None:
    from core import audit
    from core.extensions import db

    app = make_app(sqlite_url(folder, "audit"), folder / "instance")
    with app.app_context():
        db.create_all()
        lists.append_audit_entries(sizes.verify_entries)
        db.session.commit()
        db.session.remove()
        started = time.perf_counter()
        verdict = audit.verify()
        seconds = time.perf_counter() - started
        db.engine.dispose()
    rate = verdict.checked / seconds
    report.add(f"flask audit verify ({sizes.verify_entries:,} entries)", "verify_rows_per_s", rate,
               f"{rate:,.0f} rows/s ({seconds:.2f} s, chain {'intact' if verdict.ok else 'BROKEN'})", also=verdict.ok)


# --- the table and the chart ---


def scratch_parent() -> str | None:
    """Where the throwaway databases go: ``BENCH_SCRATCH``, else memory (/dev/shm) when there is some, so the disk's
    speed and other work on it do not blur figures about the app's own work; else the system's temporary folder."""
    named = os.environ.get("BENCH_SCRATCH")
    if named:
        return named
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def results_folder() -> Path:
    named = os.environ.get("BENCH_RESULTS")
    folder = Path(named) if named else ROOT / "bench-results" / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return (f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; "
            f"Python {sys.version.split()[0]}; SQLite")


def _only() -> str:
    chosen = chosen_sections()
    return "" if chosen == set(SECTIONS.values()) else f" (only: {', '.join(sorted(chosen))})"


def write_table(report: Report, folder: Path, elapsed: float) -> Path:
    missed = [f for f in report.figures if not f.met]
    lines = [
        f"# PeerWorks benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- Mode: {'QUICK (small sizes: checks the tool, not the targets)' if QUICK else 'full'}{_only()}; "
        f"took {elapsed:.0f} s",
        f"- Machine: {machine()}",
        f"- Requests per second: {throughput.tools()}",
        f"- Targets met: {len(report.figures) - len(missed)} of {len(report.figures)}",
        "",
        "| Figure | Target | Measured | Met? |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {f.name} | {f.target} | {f.measured} | {'yes' if f.met else '**no**'} |" for f in report.figures]
    if report.references:
        lines += ["", "Reference points, no target (what a request costs before any list work):", "",
                  "| Figure | Measured |", "| --- | --- |"]
        lines += [f"| {name} | {measured} |" for name, measured in report.references]
    path = folder / "results.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_chart(report: Report, folder: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [f for f in report.figures if f.margin is not None]
    height = max(3.0, 0.32 * len(shown) + 1.2)
    figure, axes = plt.subplots(figsize=(12, height))
    margins = [min(max(f.margin or 0.0, 0.01), 100.0) for f in shown]
    colours = ["#2e7d32" if f.met else "#c62828" for f in shown]
    axes.barh(range(len(shown)), margins, color=colours)
    axes.set_yticks(range(len(shown)), [_short(f.name) for f in shown], fontsize=7)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_xlabel("measured against its target (1 = the target, right of the line = met; "
                    "a yes-or-no figure is 1 or 0.5; log scale)")
    axes.set_title("PeerWorks benchmark: green met, red missed")
    figure.tight_layout()
    path = folder / "chart.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _short(name: str) -> str:
    name = name.replace("`", "").replace("<int:campaign_id>", "<id>")
    return name if len(name) <= 60 else name[:57] + "..."


SECTIONS = {"list": "List pages", "size": "Data size", "pdf": "PDFs", "audit": "Audit chain"}


def chosen_sections() -> set[str]:
    """The sections ``BENCH_SECTIONS=list,audit`` names (keys of ``SECTIONS``), every one when unset."""
    named = [key.strip() for key in os.environ.get("BENCH_SECTIONS", "").split(",") if key.strip()]
    unknown = [key for key in named if key not in SECTIONS]
    if unknown:
        raise SystemExit(f"BENCH_SECTIONS: unknown section {unknown[0]!r} (known: {', '.join(SECTIONS)})")
    return {SECTIONS[key] for key in named} if named else set(SECTIONS.values())


def main() -> int:
    sizes = SMALL if QUICK else FULL
    report = Report()
    started = time.perf_counter()
    steps = [("List pages", list_pages), ("Data size", small_against_large), ("PDFs", pdfs),
             ("Audit chain", audit_chain)]
    chosen = chosen_sections()
    sections = [(section, step) for section, step in steps if section in chosen]
    with tempfile.TemporaryDirectory(prefix="peerworks-bench-", dir=scratch_parent()) as scratch:
        for section, step in sections:
            print(f"\n{section}", flush=True)
            folder = Path(scratch) / section.lower().replace(" ", "-")
            folder.mkdir()
            began = time.perf_counter()
            try:
                step(report, sizes, folder if section != "Audit chain" else Path(scratch) / "list-pages")
            except Exception as error:  # noqa: BLE001 - one broken section must not hide the others
                report.failed(section, error)
            print(f"  ({section}: {time.perf_counter() - began:.1f} s)", flush=True)
    out = results_folder()
    table = write_table(report, out, time.perf_counter() - started)
    try:
        chart = write_chart(report, out)
    except ImportError:
        chart = None
    print("\n" + table.read_text())
    print(f"Written: {table}" + (f" and {chart}" if chart else " (no chart: matplotlib is not installed)"))
    return exit_status(report)


def exit_status(report: Report) -> int:
    """1 when any target was missed (or a figure could not be taken), else 0."""
    missed = [f.name for f in report.figures if not f.met]
    if missed:
        print(f"{len(missed)} target(s) missed.")
        return 1
    print("Every target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
