"""Hiring views, one file per area. Importing this package imports each of them, which attaches their routes to
``bp``; the view files import ``bp`` from ``hiring.blueprint`` and never each other or this package.
"""

from hiring.blueprint import bp
from hiring.views import index

__all__ = ["bp", "index"]
