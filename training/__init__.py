"""Training: certification, continuing education, orientation, shadowing, curricula and staff training sessions."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. Its record rules, the reader rule of
    its uploads, its demo data, its commands and its routes are added here and nowhere else."""
    from core import timeutil, todo, uploads
    from core.admin.services import invitations
    from training import cli, demo, policy
    from training.services import orientation, sessions
    from training.services import todo as training_todo
    from training.views import bp  # importing the views attaches their routes to bp

    policy.register()
    demo.register()
    cli.register(app)
    invitations.when_invited(app, orientation.when_invited)  # a new staff member's orientation starts at once
    timeutil.when_zone_changes(app, sessions.refill_local_days)  # a session's stored day follows the zone
    uploads.accept_files_at({"training.entry_new", "training.entry_edit"})
    app.register_blueprint(bp)
    todo.add_provider(app, "training", training_todo.items)
