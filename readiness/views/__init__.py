"""Readiness views, one file per area. Importing this package imports each of them, which attaches their routes
to ``bp``; the view files import ``bp`` from ``readiness.blueprint`` and never each other or this package.

Thin views: read input, load the record, check it, call ``readiness.services``, commit once, redirect.
"""

from readiness.blueprint import bp
from readiness.views import actions, answering, campaigns, instruments, results, settings

__all__ = ["actions", "answering", "bp", "campaigns", "instruments", "results", "settings"]
