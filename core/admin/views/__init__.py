"""The administration screens, one file per area; importing them attaches their routes to the blueprint."""

from core.admin.views import outbox, settings, staff, staff_import, teams

__all__ = ["outbox", "settings", "staff", "staff_import", "teams"]
