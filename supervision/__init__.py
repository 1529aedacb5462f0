"""Supervision: Regular supervision for peer specialists, kept true to the peer role."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. Its record rules and list scopes, its
    demo data, its to-do lines, the refill of its stored days when the agency's time zone changes, and its routes are
    added here and nowhere else."""
    from core import timeutil, todo
    from core.policy import add_scope_rules
    from supervision import demo, fidelity_demo, policy
    from supervision.services import fidelity, sessions
    from supervision.services import todo as supervision_todo
    from supervision.views import bp  # importing the views attaches their routes to bp

    policy.register()
    add_scope_rules(fidelity.SCOPE_RULES)
    demo.register()
    fidelity_demo.register()
    todo.add_provider(app, "supervision", supervision_todo.items)
    timeutil.when_zone_changes(app, sessions.refill_days)
    app.register_blueprint(bp)
