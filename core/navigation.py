"""The main navigation, shown according to what the signed-in person may open."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask_login import current_user

from core import notify, policy, sessions
from core.models import Priority
from core.timeutil import utcnow
from core.urls import page_url


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    permission: str
    # The pages this item stands for besides its own. An item with some is the current one only on those; an item
    # without stands for its whole blueprint, except the pages another item claims.
    claims: tuple[str, ...] = ()
    # What this part of PeerWorks is for, in one line: the home page's card says it.
    purpose: str = ""

    def is_current(self, endpoint: str | None) -> bool:
        endpoint = endpoint or ""
        if endpoint == self.endpoint or endpoint in self.claims:
            return True
        section = self.endpoint.split(".")[0]
        if self.claims or section == "admin" or endpoint.split(".")[0] != section:
            return False
        others = (item for item in ITEMS if item.endpoint != self.endpoint)
        return not any(endpoint == item.endpoint or endpoint in item.claims for item in others)

    @property
    def url(self) -> str:
        return page_url(self.endpoint)


ITEMS = (
    NavItem("Home", "home.index", "home.view"),
    NavItem("Caseload", "caseload.index", "caseload.view",
            purpose="Your clients, today's referrals, recovery plans and contact notes, with safeguards for staff "
                    "who are also clients."),
    NavItem("Readiness", "readiness.index", "readiness.view",
            purpose="Anonymous surveys of how ready the agency is for peer specialists, and the plan that follows."),
    NavItem("Hiring", "hiring.index", "hiring.view",
            purpose="Job descriptions, approval, postings, candidates and hiring peer specialists."),
    NavItem("Interviews", "hiring.interviews", "hiring.interview", claims=("hiring.candidate_score",),
            purpose="The candidates you interview, and your scores for them."),
    NavItem("Training", "training.index", "training.view",
            purpose="Certifications, continuing education, orientation and shadowing."),
    NavItem("Supervision", "supervision.index", "supervision.view",
            purpose="Supervision of peer specialists, and whether their time goes to peer work."),
    NavItem("Staff", "admin.staff_list", "admin.staff", purpose="Accounts, roles, supervisors and invitations."),
    NavItem("Programs and teams", "admin.teams", "admin.teams", purpose="The agency's programs and their teams."),
    NavItem("Email outbox", "admin.outbox", "admin.outbox", purpose="Emails waiting to be sent, and those sent."),
    NavItem("Settings", "admin.settings_page", "admin.settings",
            purpose="The agency's name, time zone, living wage and other settings."),
    NavItem("Audit log", "auditlog.index", "audit.view", purpose="Who did what, and when, in a log no one can edit."),
    NavItem("Notifications", "notifications.index", "notifications.view", purpose="Messages PeerWorks sent you."),
)


def items_for() -> list[NavItem]:
    user = current_user._get_current_object()  # once: each step through the proxy looks the user up again
    return [_with_count(item) for item in ITEMS if policy.can(user, item.permission)]


def _with_count(item: NavItem) -> NavItem:
    """The notifications item says how many are unread, e.g. "Notifications (2 new)"."""
    if item.endpoint != "notifications.index":
        return item
    unread = unread_notifications()
    if not unread:
        return item
    urgent = urgent_notifications()
    return replace(item, label=f"{item.label} ({unread} new{f', {urgent} urgent' if urgent else ''})")


def unread_notifications() -> int:
    """The signed-in person's unread notifications, as counted with their session at the start of the request."""
    signed_in = sessions.current(current_user.session_token)
    return signed_in.unread_notifications if signed_in else notify.unread_count(current_user.id)


def urgent_notifications() -> int:
    """How many of them are high priority (counted in the same query)."""
    signed_in = sessions.current(current_user.session_token)
    if signed_in:
        return signed_in.urgent_notifications
    return notify.unread_count(current_user.id, priority=Priority.HIGH)


def session_deadlines() -> dict[str, int] | None:
    """Seconds until the idle and absolute time-outs, for the warning script."""
    token = getattr(current_user, "session_token", None)
    if not token:
        return None
    found = sessions.deadlines(token)
    if found is None:
        return None
    now = utcnow()
    idle, absolute = found
    return {
        "idle": max(0, int((idle - now).total_seconds())),
        "absolute": max(0, int((absolute - now).total_seconds())),
    }
