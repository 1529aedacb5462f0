"""Supervision: Regular supervision for peer specialists, kept true to the peer role."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``."""
    from supervision.views import bp

    app.register_blueprint(bp)
