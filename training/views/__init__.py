"""Training views, one file per area. Importing this package imports each of them, which attaches their routes to
``bp``; the view files import ``bp`` from ``training.blueprint`` and never each other or this package.
"""

from training.blueprint import bp
from training.views import (
    certifications,
    credentials,
    curricula,
    dashboard,
    entries,
    index,
    orientation,
    people,
    sessions,
    shadowing,
)

__all__ = [
    "bp",
    "certifications",
    "credentials",
    "curricula",
    "dashboard",
    "entries",
    "index",
    "orientation",
    "people",
    "sessions",
    "shadowing",
]
