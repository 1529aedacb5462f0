"""Hiring: Build job descriptions, post jobs, and run fair interviews for peer specialist positions."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. A module with record rules, list
    scopes, demo data or commands adds them here too (see readiness/__init__.py)."""
    from hiring.views import bp  # importing the views attaches their routes to bp

    app.register_blueprint(bp)
