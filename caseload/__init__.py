"""Caseload: Your clients, referrals, recovery plans and contact notes, with safeguards for staff who are also
clients here.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``."""
    from caseload.views import bp

    app.register_blueprint(bp)
