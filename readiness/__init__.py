"""Readiness: Anonymous surveys that show where the agency is not yet ready for peer staff, and what training
would help.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. Its record rules, its demo data, its
    commands and its routes are added here and nowhere else (importing the module registers nothing)."""
    from core import logs, todo
    from readiness import cli, demo, policy
    from readiness.services import todo as readiness_todo
    from readiness.views import bp  # importing the views attaches their routes to bp
    from readiness.views.answering import FIXED_SURVEY_WORDS

    # The personal survey link's token is never written to a request log (readiness/ANONYMITY.md).
    logs.add_secret_path(f"{bp.url_prefix}/survey/", keep=FIXED_SURVEY_WORDS)
    logs.add_secret_query("q")  # nor the words searched for in the open answers

    policy.register()
    demo.register()
    cli.register(app)
    app.register_blueprint(bp)
    todo.add_provider(app, "readiness", readiness_todo.items)
