"""The caseload's record rules and list scopes, registered with the one policy module (core.policy)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select

from caseload.access import SAFEGUARD_ROLES, Viewer, can_safeguard, visible_clients
from caseload.models import Client, EmergencyGrant
from core.extensions import db
from core.models import Role, Staff
from core.policy import rule, scope_rule


def _matches(client: Client, condition: ColumnElement[bool]) -> bool:
    """Run the same SQL condition the lists use, so a record and the lists can never disagree."""
    return db.session.scalar(select(Client.id).where(Client.id == client.id, condition)) is not None


@scope_rule(Client, "client.view")
def _visible(user: Staff) -> ColumnElement[bool]:
    return visible_clients(user)


@rule(Client, "client.view")
def _may_view(user: Staff, client: Client) -> bool:
    return _matches(client, visible_clients(user))


@rule(Client, "client.edit")
def _may_edit(user: Staff, client: Client) -> bool:
    return user.has_role(Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY) and _may_view(user, client)


@scope_rule(Client, "client.safeguard")
def _safeguard_scope(user: Staff) -> ColumnElement[bool]:
    return can_safeguard(Viewer.of(user)) if user.has_role(*SAFEGUARD_ROLES) else false()


@rule(Client, "client.safeguard")
def _may_safeguard(user: Staff, client: Client) -> bool:
    return user.has_role(*SAFEGUARD_ROLES) and _matches(client, can_safeguard(Viewer.of(user)))


@rule(EmergencyGrant, "grant.review")
def _may_review(user: Staff, grant: EmergencyGrant) -> bool:
    return user.has_role(Role.PRIVACY) and grant.staff_id != user.id


@scope_rule(Client, "client.see_or_safeguard")
def _either(user: Staff) -> ColumnElement[bool]:
    from sqlalchemy import or_

    return or_(_visible(user), _safeguard_scope(user))
