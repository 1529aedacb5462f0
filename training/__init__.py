"""Training: Certification, continuing education, orientation and shadowing for peer specialists."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the module to the app: called once by ``core.app.create_app``."""
    from training.views import bp

    app.register_blueprint(bp)
