"""Administration: staff, roles, programs and teams, invitations, the CSV import and the email outbox.

Shaped like a module: ``blueprint.py`` holds the blueprint, ``views/`` one file per area, ``services/`` the rules.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the administration screens to the app: called once by ``core.app.create_app``."""
    import core.admin.views  # noqa: F401  (attaches the routes to bp)
    from core.admin.blueprint import bp

    app.register_blueprint(bp)
