"""Agenda topics: the built-in list (``supervision.models.DEFAULT_TOPICS``) and the ones the agency adds."""

from __future__ import annotations

from sqlalchemy import func, select

from core import audit
from core.errors import InvalidInput
from core.extensions import db
from core.models import Staff
from supervision.models import DEFAULT_TOPICS, Topic


def names() -> list[str]:
    """Every topic a session may have: the built-in ones first, then the agency's, alphabetically."""
    added = db.session.scalars(select(Topic.name).order_by(func.lower(Topic.name)))
    return [*DEFAULT_TOPICS, *(name for name in added if name not in DEFAULT_TOPICS)]


def all_known(chosen: list[str]) -> bool:
    """True when every topic chosen is on the list; asks the database only for a topic not built in."""
    extra = {topic for topic in chosen if topic not in DEFAULT_TOPICS}
    return not extra or extra <= set(names())


def add(name: str, actor: Staff) -> Topic:
    wanted = " ".join(name.split())
    if not wanted:
        raise InvalidInput({"name": "Enter the topic's name."})
    if wanted.lower() in {known.lower() for known in names()}:
        raise InvalidInput({"name": "This topic is on the list already."})
    topic = Topic(name=wanted)
    db.session.add(topic)
    db.session.flush()
    audit.record("supervision.topic_added", actor=actor, record_type="supervision_topic", record_id=topic.id)
    return topic
