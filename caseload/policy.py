"""The caseload's record rules and list scopes, as tables that ``register`` hands to the one policy module."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select

from caseload.access import (
    SAFEGUARD_ROLES,
    Viewer,
    audit_entries_hidden_from,
    can_safeguard,
    handlers_of,
    visible_clients,
)
from caseload.models import Client, EmergencyGrant, PeerGroup
from caseload.services.groups import may_manage
from core import policy
from core.extensions import db
from core.models import AuditEntry, Role, Staff
from core.policy import RecordRule, ScopeRule


def _matches(client: Client, condition: ColumnElement[bool]) -> bool:
    """Run the same SQL condition the lists use, so a record and the lists can never disagree."""
    return db.session.scalar(select(Client.id).where(Client.id == client.id, condition)) is not None


def _visible(user: Staff) -> ColumnElement[bool]:
    return visible_clients(user)


def _may_view(user: Staff, client: Client) -> bool:
    return _matches(client, visible_clients(user))


EDITORS = (Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY)


def _editable(user: Staff) -> ColumnElement[bool]:
    return visible_clients(user) if user.has_role(*EDITORS) else false()


def _may_edit(user: Staff, client: Client) -> bool:
    return _matches(client, _editable(user))


def _safeguard_scope(user: Staff) -> ColumnElement[bool]:
    return can_safeguard(Viewer.of(user)) if user.has_role(*SAFEGUARD_ROLES) else false()


def _may_safeguard(user: Staff, client: Client) -> bool:
    return user.has_role(*SAFEGUARD_ROLES) and _matches(client, can_safeguard(Viewer.of(user)))


def _may_review(user: Staff, grant: EmergencyGrant) -> bool:
    """A privacy officer who handles the record reviews each use; an administrator only when no privacy officer is
    left to handle it (the record is linked to the only one). Never one's own use."""
    if grant.staff_id == user.id or not user.has_role(Role.PRIVACY, Role.ADMIN):
        return False
    return any(person.id == user.id for person in handlers_of(grant.client))


RECORD_RULES: dict[tuple[type, str], RecordRule] = {
    (Client, "client.view"): _may_view,
    (Client, "client.edit"): _may_edit,
    (Client, "client.safeguard"): _may_safeguard,
    (EmergencyGrant, "grant.review"): _may_review,
    (PeerGroup, "group.manage"): may_manage,
}

SCOPE_RULES: dict[tuple[type, str], ScopeRule] = {
    (Client, "client.view"): _visible,
    (Client, "client.edit"): _editable,
    (Client, "client.safeguard"): _safeguard_scope,
}


def register() -> None:
    policy.add_record_rules(RECORD_RULES)
    policy.add_scope_rules(SCOPE_RULES)
    policy.add_concealments(AuditEntry, audit_entries_hidden_from)
