"""The administration screens, one file per area; importing them attaches their routes to the blueprint."""

from core.admin.views import outbox, staff, staff_import, teams

__all__ = ["outbox", "staff", "staff_import", "teams"]
