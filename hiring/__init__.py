"""Hiring: Build job descriptions, post jobs, and run fair interviews for peer specialist positions."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``."""
    from hiring.views import bp

    app.register_blueprint(bp)
