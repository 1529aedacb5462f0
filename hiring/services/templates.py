"""The agency's own job-description templates: copy (from the sample, another template or a draft), edit, retire
and bring back. The sample that ships with PeerWorks is data and never changes; copy it to change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from core import audit, edits, timeutil
from core.database import Lowered
from core.errors import InvalidInput
from core.extensions import db
from core.models import Staff
from hiring.models import Posting, PostingVersion, Template
from hiring.services import documents


@dataclass(frozen=True)
class TemplateWords:
    name: str
    title: str
    subtitle: str
    sections: list[tuple[str, str, str]]  # (heading, text, after) per section


def listed(*, retired: bool) -> Select:
    statement = select(Template).order_by(func.lower(Template.name), Template.id)
    return statement.where(Template.retired_at.is_not(None) if retired else Template.retired_at.is_(None))


def _name_taken(name: str, leave_out: int | None = None) -> bool:
    statement = select(Template.id).where(Lowered(Template.name) == Lowered(name.strip()))
    if leave_out is not None:
        statement = statement.where(Template.id != leave_out)
    return db.session.scalar(statement.limit(1)) is not None or name.strip().lower() == documents.sample_name().lower()


def _check_name(name: str, leave_out: int | None = None) -> None:
    if _name_taken(name, leave_out):
        raise InvalidInput({"name": "A template already has this name. Choose another name."})


def copy_sample(name: str, actor: Staff) -> Template:
    return _create(name, documents.sample_title(), documents.sample_document(), "the sample job description", actor)


def copy_template(source: Template, name: str, actor: Staff) -> Template:
    return _create(name, source.title, documents.load(source.document), f"the template “{source.name}”", actor)


def from_version(posting: Posting, version: PostingVersion, name: str, actor: Staff) -> Template:
    """A template from a draft's version, blanks still blank (what fills them belongs to that posting)."""
    return _create(
        name, version.title, documents.load(version.document), f"draft {posting.id}, version {version.number}", actor
    )


def _create(name: str, title: str, document: documents.Document, source: str, actor: Staff) -> Template:
    _check_name(name)
    template = Template(
        name=name.strip(),
        title=title,
        document=documents.dump(document),
        copied_from=f"A copy of {source}"[:200],
        created_by_id=actor.id,
    )
    db.session.add(template)
    db.session.flush()
    audit.record("hiring.template_created", actor=actor, record_type="hiring_template", record_id=template.id)
    return template


def update(template: Template, words: TemplateWords, loaded: object, actor: Staff) -> None:
    edits.expect_version(template, loaded)
    _check_name(words.name, leave_out=template.id)
    document = documents.load(template.document)
    document["subtitle"] = words.subtitle
    for section, (heading, text, after) in zip(document["sections"], words.sections, strict=False):
        section["heading"], section["text"], section["after"] = heading, text, after
    template.name, template.title, template.document = words.name.strip(), words.title, documents.dump(document)
    edits.flush()
    audit.record("hiring.template_changed", actor=actor, record_type="hiring_template", record_id=template.id)


def retire(template: Template, loaded: object, actor: Staff) -> None:
    edits.expect_version(template, loaded)
    template.retired_at = timeutil.utcnow()
    edits.flush()
    audit.record("hiring.template_retired", actor=actor, record_type="hiring_template", record_id=template.id)


def bring_back(template: Template, loaded: object, actor: Staff) -> None:
    edits.expect_version(template, loaded)
    template.retired_at = None
    edits.flush()
    audit.record("hiring.template_restored", actor=actor, record_type="hiring_template", record_id=template.id)
