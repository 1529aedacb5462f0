"""Helpers shared by the security tests: the route list, URLs for any route, data snapshots, apps with own config."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Select, Table, event, func, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

from core.app import create_app
from core.extensions import db
from tests.conftest import ON_POSTGRES, _empty_postgres
from tests.conftest import testing_config as _testing_config

MISSING_ID = 999_999
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)', re.IGNORECASE)
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def inspection_app() -> Flask:
    """An app built only to read its url_map and view functions; it never opens its database."""
    environment = {"SECRET_KEY": "inspection-only", "DATABASE_URL": "sqlite://"}
    with tempfile.TemporaryDirectory() as instance, mock.patch.dict(os.environ, environment):
        os.environ["PEERWORKS_INSTANCE"] = instance
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False})


def routes(app: Flask, method: str | None = None) -> list[Rule]:
    """Every rule except static files, in a stable order; only those accepting ``method`` when given."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and (method is None or method in (rule.methods or ()))
        ),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def dummy_value(rule: Rule, name: str) -> Any:
    """A value that fits the URL converter but names no stored row."""
    if rule.defaults and name in rule.defaults:
        return rule.defaults[name]
    converter = rule._converters[name]
    if isinstance(converter, IntegerConverter | FloatConverter):
        return MISSING_ID
    if isinstance(converter, UUIDConverter):
        return "00000000-0000-4000-8000-000000000000"
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "no-such-thing"


def build(rule: Rule, values: dict[str, Any]) -> str:
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"could not build {rule.rule} from {values}"
    return built[1]


def real_url(app: Flask, rule: Rule, known: dict[str, Any]) -> str:
    """Fill URL variables with stored rows: ``known`` by name first, then ``<noun>_id`` from a table ``*_<noun>``."""
    values: dict[str, Any] = {}
    with app.app_context():
        for name in rule.arguments:
            if name in known:
                values[name] = known[name]
                continue
            values[name] = dummy_value(rule, name)
            if not name.endswith("_id"):
                continue
            noun = name.removesuffix("_id")
            for table in db.metadata.sorted_tables:
                if table.name.endswith(f"_{noun}") and "id" in table.c:
                    found = db.session.scalar(select(func.min(table.c.id)))
                    if found is not None:
                        values[name] = found
                        break
        db.session.remove()
    return build(rule, values)


@cache
def _count_statement(skip: frozenset[str]) -> tuple[list[Table], Select]:
    tables = [table for table in db.metadata.sorted_tables if table.name not in skip]
    return tables, select(*(select(func.count()).select_from(table).scalar_subquery() for table in tables))


def row_counts(app: Flask, *, skip: Iterable[str] = ()) -> dict[str, int]:
    """The number of rows in every table but ``skip``, read in one query."""
    tables, statement = _count_statement(frozenset(skip))
    with app.app_context():
        counts = db.session.execute(statement).one()
        db.session.remove()
    return {table.name: count for table, count in zip(tables, counts, strict=True)}


def snapshot(app: Flask, *, skip: Iterable[str] = ()) -> dict[str, list[str]]:
    """Every stored row of every table but ``skip``."""
    skipped = set(skip)
    with app.app_context():
        rows = {
            table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables
            if table.name not in skipped
        }
        db.session.remove()
    return rows


@contextmanager
def writes_recorded(app: Flask) -> Iterator[list[str]]:
    """Names of the tables every INSERT, UPDATE or DELETE sent to the database inside the block was about."""
    with app.app_context():
        engine = db.engine
    written: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found = WRITE.match(statement)
        if found:
            written.append(found.group(1))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield written
    finally:
        event.remove(engine, "before_cursor_execute", record)


def signed_in_client(app: Flask, token: str, **kwargs: Any) -> FlaskClient:
    """A test client holding the sign-in session ``token`` (as the real sign-in would leave it)."""
    client = app.test_client(**kwargs)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def csrf_token_from(html: bytes) -> str:
    found = CSRF_INPUT.search(html.decode())
    assert found is not None, "no csrf_token field on the page"
    return found.group(1) or found.group(2)


@contextmanager
def built_app(database_url: str, instance: Path, **overrides: Any) -> Iterator[Flask]:
    """An app like the ``app`` fixture's, with ``overrides`` applied when it is created; emptied afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEERWORKS_INSTANCE", str(instance))
        application = create_app({**_testing_config(database_url, instance), **overrides})
    with application.app_context():
        if not ON_POSTGRES:
            db.create_all()
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            if ON_POSTGRES:
                _empty_postgres()
            db.engine.dispose()
