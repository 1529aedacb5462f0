"""Hiring views, one file per area. Importing this package imports each of them, which attaches their routes to
``bp`` (HR's pages) and ``careers`` (the public careers pages, in ``jobs.py``); the view files import the blueprints
from ``hiring.blueprint`` and never each other or this package.
"""

from hiring.blueprint import bp, careers
from hiring.views import candidates, interviews, jobs, lists, panels, postings, templates

__all__ = ["bp", "candidates", "careers", "interviews", "jobs", "lists", "panels", "postings", "templates"]
