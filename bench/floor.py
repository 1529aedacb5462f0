"""The floor of a signed-in list page on the stack the client fixed, without PeerWorks: a reference for ``make bench``.

The list-page target (12% of a raw WSGI hello world) is read against this. The app below is the least a signed-in
list page can be on Flask, Flask-SQLAlchemy and Flask-Login: Flask's own cookie session (no server-side session to
read or end), the person loaded by Flask-Login's user loader (one primary-key read), one page of 25 rows of 10,000
with their count (``db.paginate``: the same two queries every PeerWorks list runs), a small layout and a table drawn
by Jinja. None of what PeerWorks adds to every page: no roles or teams, no policy, no audit entry, no CSRF token, no
security headers, no rate limit, no menu, no flash messages, no search or filters.

``python -m bench.floor <folder>`` builds its SQLite file; gunicorn serves ``bench.floor:app`` with
``FLOOR_DATABASE`` naming that file. ``cookie()`` signs in once and gives the Cookie header for the load.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, render_template, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import ForeignKey, Index, String, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROWS = 10_000
SECRET = "bench-floor-not-a-secret"  # noqa: S105 - a throwaway app on loopback


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login = LoginManager()


class Person(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(255), unique=True)


class Item(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    program: Mapped[str] = mapped_column(String(80))
    __table_args__ = (Index("ix_item_owner_name", "owner_id", "name", "id"),)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Items</title>
<link rel="stylesheet" href="{{ url_for('static', filename='app.css') }}"></head>
<body><header><a href="{{ url_for('items') }}">Home</a> <span>{{ current_user.name }}</span></header>
<main><h1>Your items</h1><p>{{ page.total }} items</p>
<table><thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Program</th></tr></thead>
<tbody>{% for item in page.items %}<tr><td><a href="{{ url_for('items', item=item.id) }}">{{ item.name }}</a></td>
<td>{{ item.status }}</td><td>{{ item.program }}</td></tr>{% endfor %}</tbody></table>
<nav aria-label="Pages">
{% if page.has_prev %}<a href="{{ url_for('items', page=page.prev_num) }}">Previous</a>{% endif %}
{% if page.has_next %}<a href="{{ url_for('items', page=page.next_num) }}">Next</a>{% endif %}</nav></main>
</body></html>"""


def create_app(database: str) -> Flask:
    app = Flask("floor", static_folder=None)
    app.jinja_loader = DictLoader({"items.html": PAGE})  # compiled once, cached, as a template file would be
    app.add_url_rule("/static/<path:filename>", "static", lambda filename: ("", 404))
    app.config.update(SECRET_KEY=SECRET, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    db.init_app(app)
    login.init_app(app)

    @login.user_loader
    def load(person_id: str) -> Person | None:
        return db.session.get(Person, int(person_id))

    @app.get("/")
    def up() -> str:
        return "up"

    @app.get("/enter")
    def enter() -> str:
        login_user(db.session.get(Person, 1))
        return "signed in"

    @app.get("/items")
    @login_required
    def items() -> str:
        query = select(Item).where(Item.owner_id == current_user.id).order_by(Item.name, Item.id)
        page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=25)
        return render_template("items.html", page=page)

    return app


def build(database: Path) -> None:
    app = create_app(str(database))
    with app.app_context():
        db.create_all()
        db.session.add(Person(id=1, name="Peer Specialist", email="peer@example.org"))
        db.session.flush()
        rows = [{"owner_id": 1, "name": f"Client {n:05d}", "status": "active", "program": "Community Reintegration"}
                for n in range(ROWS)]
        db.session.execute(insert(Item), rows)
        db.session.commit()


def cookie(base: str) -> str:
    """The Cookie header of a signed-in visitor."""
    from bench.servers import request as http

    answer = http(base, "GET", "/enter")
    if answer.status != 200 or not answer.set_cookies:
        raise RuntimeError(f"the floor app's sign-in answered {answer.status}")
    return "; ".join(value.split(";", 1)[0] for value in answer.set_cookies)


app = create_app(os.environ["FLOOR_DATABASE"]) if "FLOOR_DATABASE" in os.environ else None

if __name__ == "__main__":
    build(Path(sys.argv[1]) / "floor.sqlite")
