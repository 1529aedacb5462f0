"""Hiring: Build job descriptions, post jobs, and run fair interviews for peer specialist positions."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``. Its record rules, its demo data, its
    commands and its routes (HR's pages and the public careers pages) are added here and nowhere else."""
    from core import logs, todo, uploads
    from hiring import cli, demo, policy
    from hiring.services import todo as hiring_todo
    from hiring.views import bp, careers  # importing the views attaches their routes to the blueprints

    logs.add_secret_query("q")  # a candidate's name or email typed into the search box is in no request log
    policy.register()
    uploads.accept_files_at({"careers.apply"})
    demo.register()
    cli.register(app)
    app.register_blueprint(bp)
    app.register_blueprint(careers)
    todo.add_provider(app, "hiring", hiring_todo.items)
