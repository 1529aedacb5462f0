"""Readiness: Anonymous surveys that show where the agency is not yet ready for peer staff, and what training
would help.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``."""
    from readiness.views import bp

    app.register_blueprint(bp)
