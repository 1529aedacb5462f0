"""Supervision: Regular supervision for peer specialists, kept true to the peer role."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. A module with record rules, list
    scopes, demo data or commands adds them here too (see readiness/__init__.py)."""
    from core import policy, todo
    from supervision import fidelity_demo
    from supervision.services import fidelity
    from supervision.views import bp  # importing the views attaches their routes to bp

    policy.add_scope_rules(fidelity.SCOPE_RULES)
    todo.add_provider(app, "supervision", fidelity.todo_items)
    fidelity_demo.register()

    app.register_blueprint(bp)
