"""The readiness survey that ships with PeerWorks.

It looks for the fears, misconceptions, barriers and biases staff may hold about working with peer specialists (seed
004: "It is NOT a survey to ask if they like the idea"), so the agency can plan training and changes. Statements are
in plain language and answered on a 5-point agreement scale. A *reversed* statement is one where agreeing means the
agency is less ready (a worry, a misconception); scores turn those around, so a higher domain score always means
more ready. Each scored domain names the training to suggest when it scores low.

``ensure_default_instrument`` creates it once (it is found again by ``builtin_key``) and is safe to call any time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core import audit
from core.extensions import db
from core.models import Staff
from readiness.models import Domain, Instrument, Item, ItemKind

BUILTIN_KEY = "default"
NAME = "Getting ready for peer specialists: staff survey"
DESCRIPTION = (
    "This survey asks every member of staff, not only clinical staff, about working alongside peer specialists: "
    "people who use their own lived experience of recovery to support others. It is not a vote on whether to hire "
    "them. It helps us find worries, questions and gaps, so we can plan the right training and support. "
    "There are no right or wrong answers."
)


@dataclass(frozen=True)
class Q:
    code: str
    text: str
    reversed: bool = False
    kind: str = ItemKind.LIKERT
    options: tuple[str, ...] = ()
    required: bool = True
    hint: str = ""


@dataclass(frozen=True)
class D:
    code: str
    name: str
    training_topic: str
    items: list[Q] = field(default_factory=list)


DOMAINS: list[D] = [
    D("role", "Understanding of the peer specialist role", "What peer specialists do: a session for all staff", [
        Q("role_explain", "I could explain to a client what a peer specialist does."),
        Q("role_lived", "Peer specialists support people by drawing on their own lived experience of recovery, "
          "not by giving clinical treatment."),
        Q("role_leftover", "Peer specialists are mainly there to take on tasks the rest of the team has no time for.",
          reversed=True),
        Q("role_junior", "A peer specialist is a kind of junior case manager or clinician.", reversed=True),
    ]),
    D("recovery", "Beliefs about recovery", "Recovery and hope: what recovery looks like in practice", [
        Q("recovery_possible", "People with serious mental health or substance use conditions can recover and live "
          "full lives."),
        Q("recovery_never", "Some of the people we serve will never get better.", reversed=True),
        Q("recovery_hope", "Hearing from someone who has been there can give a person hope."),
        Q("recovery_stable", "Someone who has needed services is not stable enough to provide them.", reversed=True),
    ]),
    D("fears", "Worries about working with peer specialists",
      "Working alongside peer specialists: safety, responsibility and workload", [
        Q("fear_safety", "I worry that a peer specialist would not be safe to work with in a crisis.", reversed=True),
        Q("fear_liability", "I worry that I or the agency could be blamed if a peer specialist makes a mistake.",
          reversed=True),
        Q("fear_relapse", "I worry that the stress of the job could cause a peer specialist to relapse.",
          reversed=True),
        Q("fear_workload", "I worry that working with a peer specialist would add to my workload.", reversed=True),
        Q("fear_replaced", "I worry that peer specialists could replace jobs like mine.", reversed=True),
    ]),
    D("boundaries", "Confidentiality and boundaries", "Boundaries and dual relationships", [
        Q("bound_coworker_client", "I would be uncomfortable if a co-worker were also a client of our agency, now or "
          "in the past.", reversed=True),
        Q("bound_records", "I know how our agency protects the records of staff who also receive services here."),
        Q("bound_privacy", "I worry that a peer specialist would share private information about clients.",
          reversed=True),
        Q("bound_keep", "Peer specialists can keep professional boundaries as well as any other member of staff."),
    ]),
    D("disclosure", "Sharing lived experience", "Sharing your own story: when and how it helps", [
        Q("disclose_helps", "A peer specialist sharing parts of their own recovery can help the people we serve."),
        Q("disclose_uneasy", "I would feel uneasy hearing a co-worker talk about their own mental health or "
          "substance use.", reversed=True),
        Q("disclose_safe", "Staff here could talk about their own recovery without being judged."),
    ]),
    D("inclusion", "Peer specialists as part of the team", "Including peer specialists as full members of the team", [
        Q("incl_meetings", "Peer specialists should take part in team meetings and treatment planning as full "
          "members of the team."),
        Q("incl_weight", "A peer specialist's view of what a client needs should count as much as anyone else's."),
        Q("incl_records", "Peer specialists should not see client records or treatment plans.", reversed=True),
    ]),
    D("supervision", "Supervision and support", "Supervising and supporting peer specialists", [
        Q("sup_who", "I know who would supervise peer specialists in my program."),
        Q("sup_plan", "Our agency plans to give peer specialists both one-to-one and group supervision."),
        Q("sup_support", "Supervisors here are ready to support a peer specialist who needs time off or a change in "
          "duties."),
    ]),
    D("commitment", "Agency commitment and capacity",
      "Why we are hiring peer specialists: a briefing from leadership", [
        Q("org_why", "Our leaders have explained why the agency is hiring peer specialists."),
        Q("org_capacity", "Our agency has the time and money to hire, train and support peer specialists well."),
        Q("org_token", "Peer specialists are being hired to tick a box, not because the agency believes in it.",
          reversed=True),
        Q("org_more", "Our agency plans to hire more than one peer specialist, so no one is the only one."),
    ]),
    D("stigma", "Stigma and social distance", "Noticing and challenging stigma at work", [
        Q("stigma_close", "I would be uncomfortable having a peer specialist as a close co-worker.", reversed=True),
        Q("stigma_space", "I would rather not share an office or break room with someone who has used services like "
          "ours.", reversed=True),
        Q("stigma_trust", "I would trust a peer specialist with the same responsibilities as other staff in a "
          "similar job."),
        Q("stigma_words", "The words we use at work about the people we serve are respectful."),
    ]),
    D("policies", "Policies and practices", "Policies that support every worker: leave, accommodations and language", [
        Q("pol_leave", "Our leave rules work for staff who may need time off for their own health."),
        Q("pol_accommodation", "I know how a member of staff can ask for an accommodation at work."),
        Q("pol_language", "Our agency has agreed on respectful, person-first language for talking about the people "
          "we serve and about staff."),
        Q("pol_experience", "Our hiring rules count lived experience as real experience."),
    ]),
    D("training", "Training you would like", "", [
        Q("train_topics", "Which of these would help you work well with peer specialists? Choose all that apply.",
          kind=ItemKind.MULTI, required=False, options=(
              "What peer specialists do, and do not do",
              "Recovery-oriented practice",
              "Boundaries and dual relationships",
              "Working on a team with a peer specialist",
              "Supervising peer specialists",
              "Questions and answers with peer specialists from another agency",
              "Visiting an agency that employs peer specialists",
              "Respectful, person-first language",
          )),
        Q("train_format", "How would you most like to take this training?", kind=ItemKind.SINGLE, required=False,
          options=("In person, with my team", "In person, with people from other teams", "Online, at my own pace",
                   "No preference")),
    ]),
]

OPEN_QUESTIONS: list[Q] = [
    Q("open_concern", "What is your biggest concern about working with peer specialists?", kind=ItemKind.TEXT,
      required=False, hint="Please do not write names or anything that could identify you or someone else."),
    Q("open_help", "What would help you or your team get ready?", kind=ItemKind.TEXT, required=False,
      hint="Please do not write names or anything that could identify you or someone else."),
]


def find_default_instrument() -> Instrument | None:
    return db.session.scalar(select(Instrument).where(Instrument.builtin_key == BUILTIN_KEY))


def ensure_default_instrument(actor: Staff | None = None) -> Instrument:
    """The shipped instrument (its first version), created the first time it is needed. Flushes, never commits."""
    found = find_default_instrument()
    if found is not None:
        return found
    instrument = Instrument(name=NAME, description=DESCRIPTION, version=1, builtin_key=BUILTIN_KEY)
    db.session.add(instrument)
    position = 0
    for domain_position, spec in enumerate(DOMAINS, start=1):
        domain = Domain(
            instrument=instrument, code=spec.code, name=spec.name, position=domain_position,
            training_topic=spec.training_topic,
        )
        db.session.add(domain)
        for question in spec.items:
            position += 1
            db.session.add(_item(instrument, domain, question, position))
    for question in OPEN_QUESTIONS:
        position += 1
        db.session.add(_item(instrument, None, question, position))
    db.session.flush()
    audit.record("readiness.instrument_created", actor=actor, record_type="readiness_instrument",
                 record_id=instrument.id, detail="the default survey")
    return instrument


def _item(instrument: Instrument, domain: Domain | None, question: Q, position: int) -> Item:
    return Item(
        instrument=instrument, domain=domain, code=question.code, position=position, kind=question.kind,
        text=question.text, hint=question.hint, reversed=question.reversed, options="\n".join(question.options),
        required=question.required,
    )
