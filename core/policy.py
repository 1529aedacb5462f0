"""The one place that answers "may this person do this, to this record?".

Three layers, all deny by default:

* **Route permissions.** Every view is marked ``@requires("module.action")`` or ``@public``. A ``before_request``
  guard refuses a route with neither, refuses anonymous people, and refuses roles the permission does not list.
* **Record rules.** ``authorize(user, action, record)`` asks the rule registered for that record type and action.
  No rule means no. A rule may look at anything: the record's team, a sealed flag, a time-boxed grant.
* **List scopes.** ``scope(statement, user, action, Model)`` adds the SQL condition registered for the model, so lists,
  counts and exports never load a row the person may not see. No scope registered means an empty list.

Modules register their rules here (``@rule``/``@scope_rule``) from their own ``policy.py``; core imports no module.
A refusal is written to the audit log. A record whose existence is itself confidential answers 404, exactly as a
missing record does (``conceal=True``); ``load`` fetches such a record under its scope in one query, so a missing id
is refused (and audited) the same way and costs the same work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import selectinload

from core import audit
from core.extensions import db, login_manager
from core.models import Role, Staff, StaffRole, StaffStatus

ANY_STAFF = frozenset(Role)
PUBLIC = "public"

PERMISSIONS: dict[str, frozenset[Role]] = {
    "home.view": ANY_STAFF,
    "account.own": ANY_STAFF,
    # One's own second factor (core/two_factor.py): anyone may set one up; the agency may require it of some roles.
    "account.two_factor": ANY_STAFF,
    "admin.staff": frozenset({Role.ADMIN}),
    "admin.teams": frozenset({Role.ADMIN}),
    "admin.outbox": frozenset({Role.ADMIN}),
    "admin.settings": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN, Role.PRIVACY}),
    "caseload.view": frozenset({Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY, Role.ADMIN}),
    "caseload.clients": frozenset({Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY}),
    "caseload.referrals": frozenset({Role.PEER, Role.STAFF, Role.SUPERVISOR}),
    "caseload.groups": frozenset({Role.PEER, Role.STAFF, Role.SUPERVISOR}),
    "caseload.resources": frozenset({Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY}),
    "caseload.emergency": frozenset({Role.PEER, Role.STAFF, Role.SUPERVISOR}),
    "caseload.safeguards": frozenset({Role.PRIVACY, Role.ADMIN}),
    "caseload.declare": ANY_STAFF,
    "notifications.view": ANY_STAFF,
    "readiness.view": ANY_STAFF,
    "readiness.respond": ANY_STAFF,
    "readiness.manage": frozenset({Role.HR, Role.ADMIN}),
    "readiness.results": frozenset({Role.HR, Role.ADMIN}),
    "hiring.view": frozenset({Role.HR, Role.ADMIN}),
    "hiring.manage": frozenset({Role.HR, Role.ADMIN}),
    # Interviewers may hold any role: the record rules let in only the posting's panel (and HR, the administrator).
    "hiring.interview": ANY_STAFF,
    "training.view": ANY_STAFF,
    "training.review": frozenset({Role.SUPERVISOR}),
    "training.dashboard": frozenset({Role.HR, Role.SUPERVISOR}),
    "training.records": frozenset({Role.HR}),
    "training.rules": frozenset({Role.HR, Role.ADMIN}),
    "training.sessions": frozenset({Role.HR, Role.SUPERVISOR}),
    "supervision.view": frozenset({Role.SUPERVISOR, Role.PEER, Role.HR, Role.ADMIN}),
    "supervision.log": frozenset({Role.SUPERVISOR}),
    # Hours only, never content: the record rules keep a supervisor to their reports.
    "supervision.compliance": frozenset({Role.SUPERVISOR, Role.HR, Role.ADMIN}),
    "supervision.rules": frozenset({Role.HR, Role.ADMIN}),
    # Role fidelity: a peer specialist reads their own, a supervisor their reports' (record scope in
    # supervision/services/fidelity.py); HR and the administrator set the agency's threshold, never read a person's.
    "supervision.fidelity": frozenset({Role.SUPERVISOR, Role.PEER}),
    "supervision.fidelity_settings": frozenset({Role.HR, Role.ADMIN}),
}

View = TypeVar("View", bound=Callable[..., Any])
T = TypeVar("T")
RecordRule = Callable[[Staff, Any], bool]
ScopeRule = Callable[[Staff], ColumnElement[bool]]

_record_rules: dict[tuple[type, str], RecordRule] = {}
_scope_rules: dict[tuple[type, str], ScopeRule] = {}
_concealments: dict[type, list[ScopeRule]] = {}


def requires(permission: str) -> Callable[[View], View]:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}: add it to core.policy.PERMISSIONS")

    def mark(view: View) -> View:
        view.permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def public(view: View) -> View:
    view.permission = PUBLIC  # type: ignore[attr-defined]
    return view


def can(user: Any, permission: str) -> bool:
    """True when the signed-in person holds a role the permission lists."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    allowed = PERMISSIONS.get(permission)
    return allowed is not None and user.has_role(*allowed)


def add_record_rules(rules: Mapping[tuple[type, str], RecordRule]) -> None:
    """A module's record rules, from its ``register(app)``: (model, action) -> check. Registering again is harmless."""
    _record_rules.update(rules)


def add_scope_rules(rules: Mapping[tuple[type, str], ScopeRule]) -> None:
    """A module's list scopes (SQL conditions), from its ``register(app)``: (model, action) -> condition."""
    _scope_rules.update(rules)


def add_concealments(model: type, *conditions: ScopeRule) -> None:
    """SQL conditions for rows of ``model`` a person must not see even where their role shows the whole table: the
    audit screen hides, from the staff member a sealed record is linked to, the entries about that record (a module
    registers them from its ``register(app)``; registering the same condition again is harmless)."""
    known = _concealments.setdefault(model, [])
    known.extend(condition for condition in conditions if condition not in known)


def concealed(user: Staff, model: type) -> ColumnElement[bool]:
    """True for the rows of ``model`` hidden from ``user`` (false when no module hides any)."""
    conditions = [condition(user) for condition in _concealments.get(model, [])]
    return or_(*conditions) if conditions else false()


def rule(model: type, action: str) -> Callable[[RecordRule], RecordRule]:
    def register(check: RecordRule) -> RecordRule:
        _record_rules[(model, action)] = check
        return check

    return register


def scope_rule(model: type, action: str) -> Callable[[ScopeRule], ScopeRule]:
    def register(condition: ScopeRule) -> ScopeRule:
        _scope_rules[(model, action)] = condition
        return condition

    return register


def allows(user: Staff, action: str, record: object) -> bool:
    check = _record_rules.get((type(record), action))
    return check is not None and bool(check(user, record))


def refuse(user: Staff | None, what: str, record_id: object = "", *, status: int = 403) -> None:
    """Audit a refusal (committed at once, so it survives the abort) and answer with ``status``."""
    db.session.rollback()
    audit.record(
        "access.denied",
        actor=user if user is not None and user.is_authenticated else None,
        record_type=what,
        record_id=record_id,
        outcome=audit.DENIED,
    )
    db.session.commit()
    abort(status)


def authorize(user: Staff, action: str, record: Any, *, conceal: bool = False) -> None:
    """Abort unless the rule for (record type, action) allows it. ``conceal`` answers 404, as for a missing record."""
    if not allows(user, action, record):
        refuse(user, f"{type(record).__name__}:{action}", getattr(record, "id", ""), status=404 if conceal else 403)


def load(user: Staff, action: str, model: type[T], record_id: int, *, conceal: bool = True) -> T:
    """The record, when ``user`` may do ``action`` to it; refused otherwise (audited; 404 with ``conceal``).

    One query asks for the id under the list scope's SQL condition, so a record the person may not see and an id
    that does not exist take exactly the same path: the same queries, then the same audited refusal. Neither the
    answer nor the time it takes tells them apart (issue 10, finding 4)."""
    found = db.session.scalar(scope(select(model).where(model.id == record_id), user, action, model))
    if found is None:
        refuse(user, f"{model.__name__}:{action}", record_id, status=404 if conceal else 403)
    return found


def scope(statement: Select, user: Staff, action: str, model: type) -> Select:
    condition = _scope_rules.get((model, action))
    if condition is None:
        return statement.where(false())
    return statement.where(condition(user))


def other_officers(user: Staff) -> list[Staff]:
    """The active privacy officers and administrators other than ``user``, by name: who handles the record of a
    privacy officer or administrator who is also a client here (the screens name them, or say whom to ask)."""
    return list(
        db.session.scalars(
            select(Staff)
            .where(
                Staff.status == StaffStatus.ACTIVE,
                Staff.id != user.id,
                # From the role index to the few people holding it, not through every staff member.
                Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role.in_((Role.PRIVACY, Role.ADMIN)))),
            )
            .options(selectinload(Staff.role_rows))
            .order_by(Staff.name, Staff.id)
        )
    )


def guard() -> Any:
    """before_request: every route must declare its permission; deny otherwise."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    view = current_app.view_functions.get(endpoint)
    permission = getattr(view, "permission", None)
    if permission == PUBLIC:
        return None
    if permission is None:
        refuse(current_user, "route-without-permission", endpoint)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can(current_user, permission):
        refuse(current_user, "route", endpoint)
    return None


@rule(Staff, "admin.edit")
def _admin_edits_staff(user: Staff, staff: Staff) -> bool:
    return user.has_role(Role.ADMIN)


@scope_rule(Staff, "admin.list")
def _admin_lists_staff(user: Staff) -> ColumnElement[bool]:
    from sqlalchemy import true

    return true() if user.has_role(Role.ADMIN) else false()
