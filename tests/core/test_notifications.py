"""In-app notifications: one's own only, newest first, paginated, unread highlighted and counted in the menu,
marked read one by one or all at once."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.models import Notification, Role
from core.timeutil import utcnow
from tests.factories import make_staff
from tests.queries import counting_queries


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def add_note(db, person, words: str, *, minutes_ago: int = 0, read: bool = False,
             link: str = "/caseload/safeguards/grants") -> Notification:
    note = Notification(staff_id=person.id, text=words, link=link,
                        created_at=utcnow() - timedelta(minutes=minutes_ago),
                        read_at=utcnow() if read else None)
    db.session.add(note)
    db.session.flush()
    return note


def test_lists_only_my_notifications_newest_first_with_unread_marked(client, db, login_as):
    me = login_as(Role.PRIVACY)
    someone = make_staff(Role.PRIVACY)
    add_note(db, me, "Older message", minutes_ago=30, read=True)
    add_note(db, me, "Newer message", minutes_ago=1)
    add_note(db, someone, "Not for you")
    db.session.commit()

    page = text(client.get("/notifications/"))

    assert page.index("Newer message") < page.index("Older message")
    assert "Not for you" not in page
    newer = page.split("Newer message")[0].rsplit("<li", 1)[1]
    older = page.split("Older message")[0].rsplit("<li", 1)[1]
    assert ">New<" in newer
    assert ">New<" not in older
    assert "You have 1 unread." in page
    assert "Notifications (1 new)" in page
    assert 'href="/caseload/safeguards/grants"' in page


def test_the_menu_says_notifications_without_a_count_when_all_are_read(client, db, login_as):
    me = login_as(Role.PEER)
    add_note(db, me, "Read already", read=True)
    db.session.commit()
    page = text(client.get("/notifications/"))
    assert ">Notifications<" in page
    assert "new)" not in page
    assert "You have read them all." in page


def test_mark_one_as_read_only_changes_my_own(client, db, login_as):
    me = login_as(Role.PEER)
    someone = make_staff(Role.PEER)
    mine = add_note(db, me, "Mine")
    theirs = add_note(db, someone, "Theirs")
    db.session.commit()

    assert client.post(f"/notifications/{theirs.id}/read").status_code == 302
    assert client.post(f"/notifications/{mine.id}/read").status_code == 302

    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert mine.read_at is not None
    assert theirs.read_at is None
    assert client.get(f"/notifications/{mine.id}/read").status_code == 405  # no change on GET


def test_mark_all_as_read(client, db, login_as):
    me = login_as(Role.PEER)
    someone = make_staff(Role.PEER)
    for n in range(3):
        add_note(db, me, f"Message {n}")
    add_note(db, someone, "Theirs")
    db.session.commit()

    response = client.post("/notifications/read-all", follow_redirects=True)

    assert "3 notifications marked as read." in text(response)
    unread = db.session.scalars(select(Notification.staff_id).where(Notification.read_at.is_(None))).all()
    assert unread == [someone.id]
    assert "Nothing was unread." in text(client.post("/notifications/read-all", follow_redirects=True))


def test_empty_state(client, login_as):
    login_as(Role.HR)
    assert "No notifications" in text(client.get("/notifications/"))


def test_paginated_with_a_steady_number_of_queries(app, client, db, login_as):
    me = login_as(Role.PEER)

    def add(how_many: int) -> None:
        for n in range(how_many):
            add_note(db, me, f"Note {n}", minutes_ago=n)
        db.session.commit()

    def count_queries() -> int:
        client.get("/notifications/")
        with counting_queries() as seen:
            assert client.get("/notifications/").status_code == 200
        return len(seen)

    add(3)
    small = count_queries()
    add(40)
    assert count_queries() == small
    first = text(client.get("/notifications/"))
    assert "Showing 1 to 25 of 43." in first
    second = text(client.get("/notifications/?page=2"))
    assert "Showing 26 to 43 of 43." in second


def test_a_high_priority_notification_says_urgent_in_words(client, db, login_as):
    """Issue 10: urgent notices (a barred person asking for emergency access, a possible duplicate of a protected
    record) are marked in words and with a sign, not by colour alone; the page says how many to read first."""
    me = login_as(Role.PRIVACY)
    add_note(db, me, "An ordinary message")
    urgent = add_note(db, me, "Something to check at once")
    urgent.priority = "high"
    add_note(db, me, "An urgent message already read", read=True).priority = "high"
    db.session.commit()

    page = text(client.get("/notifications/"))

    items = {words: page.split(words)[0].rsplit("<li", 1)[1] for words in
             ("An ordinary message", "Something to check at once", "An urgent message already read")}
    assert ">Urgent</span>" in items["Something to check at once"]
    assert ">Urgent</span>" in items["An urgent message already read"]
    assert "Urgent" not in items["An ordinary message"]
    assert "1 unread message is marked <strong>Urgent</strong>: read it first." in page
    assert "Notifications (2 new, 1 urgent)" in page  # in the menu of every page, counted with the session


def test_notify_keeps_the_priority(db):
    from core import notify
    from core.models import Priority

    person = make_staff(Role.PRIVACY)
    notify.notify([person], "Look now.", "/caseload/safeguards", email_subject="s", email_body="b",
                  priority=Priority.HIGH)
    notify.notify([person], "Later.", "/caseload/safeguards", email_subject="s", email_body="b")
    rows = db.session.execute(select(Notification.text, Notification.priority).order_by(Notification.id)).all()
    assert [tuple(row) for row in rows] == [("Look now.", "high"), ("Later.", "normal")]
    assert notify.unread_count(person.id, priority=Priority.HIGH) == 1


OFF_SITE = [
    "https://evil.example/login",
    "http://localhost/caseload/",  # url_for(..., _external=True): the request's Host header, anyone's to forge
    "//evil.example/login",
    "/\\evil.example/login",
    "/\t/evil.example/login",
    "javascript:alert(1)",
    "caseload/",
    "",
]


@pytest.mark.parametrize("link", OFF_SITE)
def test_notify_takes_only_a_path_on_this_site(db, link):
    """A notice's "Open" button leads to a page of PeerWorks, never elsewhere: any other link is a programming
    error, refused before anything is stored or mailed."""
    from core import notify
    from core.models import OutboxEmail

    person = make_staff(Role.PRIVACY)
    with pytest.raises(ValueError, match="path on this site"):
        notify.notify([person], "Look now.", link, email_subject="s", email_body="b")
    assert db.session.scalar(select(Notification.id)) is None
    assert db.session.scalar(select(OutboxEmail.id)) is None


def test_open_is_shown_only_for_a_path_on_this_site(client, db, login_as):
    """Notices stored before links were checked may hold an absolute address (built from a forged Host header, say):
    they show no "Open" button; a path on this site does."""
    me = login_as(Role.PRIVACY)
    add_note(db, me, "A path here", link="/caseload/safeguards/grants")
    for n, link in enumerate(OFF_SITE):
        add_note(db, me, f"Elsewhere {n}", link=link)
    db.session.commit()

    page = text(client.get("/notifications/"))

    assert 'href="/caseload/safeguards/grants">Open' in page
    assert page.count(">Open<span") == 1
    assert "evil.example" not in page
    assert "javascript:" not in page
