"""The caseload's routes, one file per area. Importing this package attaches every route to ``caseload.blueprint.bp``;
the view files import ``bp`` from there and their shared helpers from ``_common``, never each other."""

from caseload.views import clients, emergency, groups, index, plans, referrals, resources, safeguards

__all__ = ["clients", "emergency", "groups", "index", "plans", "referrals", "resources", "safeguards"]
