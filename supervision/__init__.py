"""Supervision: Regular supervision for peer specialists, kept true to the peer role."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. Its record rules, its demo data, the
    refill of its stored days when the agency's time zone changes, and its routes are added here and nowhere else."""
    from core import timeutil
    from supervision import demo, policy
    from supervision.services import sessions
    from supervision.views import bp  # importing the views attaches their routes to bp

    policy.register()
    demo.register()
    timeutil.when_zone_changes(app, sessions.refill_days)
    app.register_blueprint(bp)
