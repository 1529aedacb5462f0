"""What the public careers page says about a posting: the agency as employer, and the schema.org ``JobPosting``
that search engines read (https://schema.org/JobPosting), written into the page as JSON-LD."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from markupsafe import Markup, escape

from core import settings, timeutil
from hiring.models import EmploymentType, PayPeriod, Posting, PostingVersion
from hiring.services import documents, postings

KEYS = ("agency_name", "agency_street", "agency_city", "agency_region", "agency_postal_code")
EMPLOYMENT = {EmploymentType.FULL_TIME: "FULL_TIME", EmploymentType.PART_TIME: "PART_TIME"}
UNIT = {PayPeriod.HOUR: "HOUR", PayPeriod.YEAR: "YEAR"}


@dataclass(frozen=True)
class Agency:
    name: str
    street: str
    city: str
    region: str
    postal_code: str

    @property
    def ready(self) -> bool:
        """Enough to say who is hiring and where: a name, a city and a state."""
        return bool(self.name and self.city and self.region)

    @property
    def address(self) -> str:
        place = ", ".join(part for part in (self.street, self.city) if part)
        return " ".join(
            part for part in (place + ("," if place and self.region else ""), self.region, self.postal_code) if part
        )


def agency() -> Agency:
    return Agency(*(settings.get(key).strip() for key in KEYS))


def description_html(version: PostingVersion) -> str:
    """The posting's words as simple HTML (JobPosting's ``description``): every text escaped."""
    document = postings.filled_document(version)
    parts: list[str] = []
    if document.get("subtitle"):
        parts.append(f"<p>{escape(document['subtitle'])}</p>")
    for section in document["sections"]:
        parts.append(f"<h2>{escape(section['heading'])}</h2>")
        parts += [f"<p>{escape(p)}</p>" for p in documents.paragraphs(section["text"])]
        for group in section["groups"]:
            if group["lead"]:
                parts.append(f"<p>{escape(group['lead'])}</p>")
            items = []
            for duty in group["duties"]:
                sub = "".join(f"<li>{escape(item)}</li>" for item in duty.get("items", ()))
                items.append(f"<li>{escape(duty['text'])}{f'<ol>{sub}</ol>' if sub else ''}</li>")
            if items:
                parts.append(f"<ul>{''.join(items)}</ul>")
        parts += [f"<p>{escape(p)}</p>" for p in documents.paragraphs(section["after"])]
    if version.lived_experience_text:
        parts.append(
            f"<h2>Lived experience</h2><p>{escape(postings.filled(version, version.lived_experience_text))}</p>"
        )
    return "".join(parts)


def _end_of_day(day: Any) -> str:
    moment = timeutil.from_local(day, time(23, 59, 59))
    return timeutil.local_time(moment).isoformat(timespec="seconds")


def job_posting(posting: Posting, version: PostingVersion, where: Agency) -> dict[str, Any]:
    """The schema.org JobPosting of a published version."""
    published: datetime = posting.published_at or timeutil.utcnow()
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": postings.filled(version, version.title),
        "description": description_html(version),
        "identifier": {"@type": "PropertyValue", "name": where.name, "value": f"posting-{posting.id}"},
        "datePosted": timeutil.local_date(published).isoformat(),
        "employmentType": EMPLOYMENT[EmploymentType(version.employment_type)],
        "hiringOrganization": {"@type": "Organization", "name": where.name},
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": where.street,
                "addressLocality": where.city,
                "addressRegion": where.region,
                "postalCode": where.postal_code,
                "addressCountry": "US",
            },
        },
    }
    if version.closes_on is not None:
        data["validThrough"] = _end_of_day(version.closes_on)
    if version.pay_min_cents is not None:
        value: dict[str, Any] = {
            "@type": "QuantitativeValue",
            "unitText": UNIT[PayPeriod(version.pay_period)],
            "minValue": version.pay_min_cents / 100,
        }
        value["maxValue"] = (version.pay_max_cents or version.pay_min_cents) / 100
        data["baseSalary"] = {"@type": "MonetaryAmount", "currency": "USD", "value": value}
    if version.schedule:
        data["workHours"] = postings.filled(version, version.schedule)
    if version.credential_type is not None:
        data["qualifications"] = f"Required credential: {version.credential_type}"
    return data


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>`` and ``&`` are escaped as JSON
    escapes, so no text in the posting can close the script element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    # Escaped just above: no text of the posting reaches the page as markup (ruff S704, bandit B704).
    return Markup(text)  # noqa: S704  # nosec B704
