"""The app served for real by gunicorn, on PostgreSQL and Redis (bench/servers.py starts and stops it).

These tests are marked ``servers`` and run by ``make scale``, not by ``make test`` (see PERFORMANCE.md for their
time). Each run makes a throwaway database on the PostgreSQL server of ``PEERWORKS_SERVERS_PG`` (by default the
local one, user postgres) holding the demo agency, made once by ``flask db upgrade`` and ``flask seed-demo`` and
copied for each module (``PEERWORKS_SERVERS_DEMO=<database>`` copies a demo database made before instead); it uses
the Redis database of ``PEERWORKS_SERVERS_REDIS`` (by default number 13 of the local Redis) and empties only that
one. They skip, saying which, when gunicorn, PostgreSQL or Redis is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import servers

PG = os.environ.get("PEERWORKS_SERVERS_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PEERWORKS_SERVERS_REDIS", "redis://127.0.0.1:6379/13")


def _missing() -> str:
    if not servers.GUNICORN.exists():
        return f"gunicorn is not installed at {servers.GUNICORN} (run uv sync)"
    try:
        import psycopg

        psycopg.connect(servers.server_url(PG, "postgres"), connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001 - any reason PostgreSQL does not answer is a reason to skip
        return f"PostgreSQL does not answer at {PG} ({type(error).__name__}); set PEERWORKS_SERVERS_PG"
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as error:  # noqa: BLE001
        return f"Redis does not answer at {REDIS} ({type(error).__name__}); set PEERWORKS_SERVERS_REDIS"
    return ""


@pytest.fixture(scope="session")
def demo_template() -> Iterator[str]:
    """A database holding the demo agency, built once a run, copied by each module."""
    missing = _missing()
    if missing:
        pytest.skip(missing)
    if os.environ.get("PEERWORKS_SERVERS_DEMO"):  # a demo database made before (saves a minute when iterating)
        yield os.environ["PEERWORKS_SERVERS_DEMO"]
        return
    name = f"pw_servers_demo_{os.getpid()}"
    servers.demo_database(PG, name)
    yield name
    servers.drop_database(PG, name)


@pytest.fixture(scope="module")
def database(demo_template: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """This module's own copy of the demo agency; its URL."""
    name = f"pw_servers_{request.module.__name__.rsplit('.', 1)[-1]}_{os.getpid()}"[:63].lower()
    url = servers.demo_database(PG, name, like=demo_template)
    yield url
    servers.drop_database(PG, name)


@pytest.fixture(scope="module")
def engine(database: str) -> Iterator[sa.Engine]:
    """The test's own connection to the servers' database, to count what they wrote."""
    made = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    yield made
    made.dispose()


def flush_limits() -> None:
    """Empties this run's Redis database (only that one): the sign-in counts start from nothing."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()


@pytest.fixture(scope="module")
def server_env(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The settings every instance shares, as in production: one database, one rate-limit store, one secret."""
    flush_limits()
    yield {
        "DATABASE_URL": database,
        "RATELIMIT_STORAGE_URI": REDIS,
        "SECRET_KEY": "servers-test-secret-key",
        "PEERWORKS_ENV": "development",
        "PEERWORKS_INSTANCE": str(tmp_path_factory.mktemp("instance")),
        "LOGIN_RATE_LIMIT": "6 per minute",
    }
    flush_limits()


def count(engine: sa.Engine, sql: str, **params: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())


def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gunicorn-logs")
