"""Finding a person by name and date of birth, the way a person types them.

Names are compared with ``core.text.name_key`` (case, accents, invisible characters and spacing do not matter), so
"José  Álvarez" finds "Jose Alvarez". The database is asked for the clients born that day (an indexed column), and the
names are compared here: a few rows per date of birth, even in a large agency.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select

from caseload.models import Client
from core.extensions import db
from core.text import name_key


def same_person(name: str, date_of_birth: date | None, statement: Select | None = None) -> list[Client]:
    """Clients with this name (normalised) and date of birth, oldest record first. ``statement`` narrows the search
    (a list scope, sealed records only); by default every client is looked at."""
    key = name_key(name or "")
    if date_of_birth is None or not key:
        return []
    query = (statement if statement is not None else select(Client)).where(Client.date_of_birth == date_of_birth)
    return [client for client in db.session.scalars(query.order_by(Client.id)) if name_key(client.name) == key]
