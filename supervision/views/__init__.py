"""Supervision views, one file per area. Importing this package imports each of them, which attaches their routes to
``bp``; the view files import ``bp`` from ``supervision.blueprint`` and never each other or this package.
"""

from supervision.blueprint import bp
from supervision.views import compliance, fidelity, index, items, people, records, rules, sessions

__all__ = ["bp", "compliance", "fidelity", "index", "items", "people", "records", "rules", "sessions"]
