# PeerWorks: `make run` serves the demo agency; `make test` runs every test but those marked servers (SQLite, then
# PostgreSQL); `make scale` runs those (tests/servers/: it restarts PostgreSQL, and takes minutes).
SHELL := /bin/bash
.DEFAULT_GOAL := run
PORT ?= 5000
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/peerworks_test
# Two workers (the machine has two cores). worksteal hands each worker half of the tests in file order, then lets
# the first to finish take tests from the end of the other's queue: a heavy file is shared, while each worker still
# runs long stretches of one file (its module-wide fixtures are built about once per worker).
PYTEST := $(VENV)/bin/pytest -q -p no:cacheprovider -n $${PYTEST_WORKERS:-2} --dist worksteal
export UV_PYTHON ?= python3
export UV_LINK_MODE ?= copy
# Python keeps each module it compiles (__pycache__, the test files' rewritten asserts too) even where the shell says
# not to: without it every test worker, pass and subprocess compiled Flask, SQLAlchemy, WeasyPrint, Playwright and
# the app again (about 5 s of CPU each on this machine).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-all fuzz setup deps system-run system-test assets db lint bandit pg-up redis-up clean bench scale load

run: setup db
	@echo
	@echo "PeerWorks is at http://127.0.0.1:$(PORT)  (stop with Ctrl+C)"
	@echo "Demo sign-ins, password $${DEMO_PASSWORD:-peerworks-demo}:"
	@echo "  admin@example.org  hr@example.org  supervisor@example.org"
	@echo "  peer@example.org   clinician@example.org  privacy@example.org"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

setup: system-run deps assets

# Debian packages WeasyPrint uses (faster font subsetting), installed when missing and running as root.
system-run:
	@./scripts/apt-ensure libharfbuzz-subset0

system-test:
	@./scripts/apt-ensure chromium poppler-utils libharfbuzz-subset0 wrk

deps:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@uv sync --frozen --quiet

assets: static/vendor/uswds/.installed

static/vendor/uswds/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@rm -rf static/vendor/uswds && mkdir -p static/vendor/uswds
	@cp -r node_modules/@uswds/uswds/dist/{css,fonts,img,js} static/vendor/uswds/
	@touch $@

db:
	@$(FLASK) db upgrade
	@$(FLASK) seed-demo --if-empty

# The whole of `make test`, set-up included, timed; the time is printed whether the tests pass or not.
test:
	@start=$$(date +%s); $(MAKE) --no-print-directory test-all; status=$$?; \
	  elapsed=$$(( $$(date +%s) - start )); \
	  echo "== make test took $$(( elapsed / 60 )) min $$(( elapsed % 60 )) s (set-up included) =="; \
	  exit $$status

# The SQLite pass records the SQL each test sends (test-artifacts/sql-paths/); the PostgreSQL pass then runs the
# tests that send every one of those statements on PostgreSQL too, and every test that always needs both databases
# (tests/sql_paths.py says which, and how they are chosen).
SQL_PATHS := test-artifacts/sql-paths

test-all: setup system-test
	@$(VENV)/bin/ruff check --quiet .
	@$(MAKE) --no-print-directory bandit
	@echo "== Test suite on SQLite =="
	@rm -rf $(SQL_PATHS)
	@PEERWORKS_SQL_RECORD=$(SQL_PATHS) $(PYTEST) -m "not servers"
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "== DATABASE_URL is set: test suite on it (every statement of the SQLite pass) =="; \
	  PEERWORKS_SQL_PICK=$(SQL_PATHS) TEST_DATABASE_URL="$$DATABASE_URL" $(PYTEST) -m "not browser and not servers"; \
	elif $(MAKE) --no-print-directory pg-up; then \
	  echo "== Test suite on PostgreSQL (every statement of the SQLite pass) =="; \
	  PEERWORKS_SQL_PICK=$(SQL_PATHS) TEST_DATABASE_URL="$(TEST_PG_URL)" $(PYTEST) -m "not browser and not servers"; \
	else \
	  echo "== PostgreSQL is not answering on 127.0.0.1:5432: the PostgreSQL run was SKIPPED =="; \
	fi

# Made-up input through every form (tests/core/test_fuzz_forms.py): 1,000 new random submissions per POST route
# (`make test` sends 3 per route, the same ones every run). PEERWORKS_FUZZ_EXAMPLES=200 for fewer;
# PEERWORKS_FUZZ_ONLY=caseload. (or one endpoint, hiring.posting_edit) for a part of the app.
fuzz: setup
	@start=$$(date +%s); PEERWORKS_FUZZ_EXAMPLES=$${PEERWORKS_FUZZ_EXAMPLES:-1000} $(PYTEST) tests/core/test_fuzz_forms.py; \
	  status=$$?; elapsed=$$(( $$(date +%s) - start )); \
	  echo "== make fuzz took $$(( elapsed / 60 )) min $$(( elapsed % 60 )) s =="; exit $$status

# Start the installed PostgreSQL cluster when it is down; succeed only when it answers.
pg-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start >/dev/null 2>&1; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@pg_isready -q -h 127.0.0.1 -p 5432

# Start the installed Redis when it is down (on loopback only); succeed only when it answers.
redis-up:
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null 2>&1 && redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null; \
	  for i in 1 2 3 4 5; do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 ping >/dev/null

# Two gunicorn instances on one PostgreSQL and one Redis (sessions, sign-in limits, the audit chain and the scheduled
# commands across both), and a worker killed mid-request (tests/servers/, marked servers): too slow for `make test`
# (PERFORMANCE.md has the time), so run here, timed.
scale: deps pg-up
	@./scripts/apt-ensure redis-server redis-tools
	@$(MAKE) --no-print-directory redis-up
	@start=$$(date +%s); $(VENV)/bin/pytest -q -p no:cacheprovider -n 0 -s -m servers tests/servers; status=$$?; \
	  elapsed=$$(( $$(date +%s) - start )); \
	  echo "== make scale took $$(( elapsed / 60 )) min $$(( elapsed % 60 )) s =="; exit $$status

# 200 simulated users doing every role's main journeys for 60 s with locust, headless, on loopback (bench/load.py):
# its own database and servers, a table of p50/p95/p99 per journey, load-results/<UTC time>/; exits 1 on any error.
load: deps pg-up
	@./scripts/apt-ensure redis-server redis-tools
	@$(MAKE) --no-print-directory redis-up
	@$(PY) -m bench.load

# Every speed figure of issue 14 measured in one run on this machine, against its target (bench/README.md): prints a
# table, writes it with a chart into bench-results/<UTC time>/ and exits 1 when a target is missed. BENCH_QUICK=1 for
# small sizes (checks the tool, not the targets).
bench: deps
	@./scripts/apt-ensure wrk poppler-utils libharfbuzz-subset0
	@$(PY) -m bench

lint:
	$(VENV)/bin/ruff check .
	@$(MAKE) --no-print-directory bandit

# bandit over the app's packages (what it leaves out, and why: [tool.bandit] in pyproject.toml): no finding of
# medium or high severity; its time is printed so it stays quick.
bandit:
	@start=$${EPOCHREALTIME/./}; $(VENV)/bin/bandit -c pyproject.toml -r . --severity-level medium --quiet; \
	  status=$$?; ms=$$(( ($${EPOCHREALTIME/./} - start) / 1000 )); \
	  echo "== bandit: $$( ((status)) && echo 'findings above' || echo '0 medium or high findings') in $$((ms / 1000)).$$(printf '%03d' $$((ms % 1000))) s =="; \
	  exit $$status

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache
