"""Caseload: Your clients, referrals, recovery plans and contact notes, with safeguards for staff who are also
clients here.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. Its record rules and list scopes, its
    demo loader, its commands and its routes; nothing here is registered as a side effect of an import."""
    import caseload.views  # noqa: F401  importing the view files attaches their routes to bp
    from caseload import cli, demo, policy
    from caseload.blueprint import bp
    from caseload.services import referrals
    from caseload.services import todo as caseload_todo
    from core import logs, timeutil, todo

    # A client's name, phone number or date of birth typed into a search box is in no request log.
    logs.add_secret_query("q", "client", "date_of_birth")
    policy.register()
    demo.register()
    cli.register(app)
    app.register_blueprint(bp)
    timeutil.when_zone_changes(app, referrals.refill_local_days)
    todo.add_provider(app, "caseload", caseload_todo.items)
