"""Writes of annotations. :func:`annotation_fields_check` is the one rule for a note's fields: the
API's serializer, the client admin's form and the dashboard's form all call it, so a bad value is
refused in the same words everywhere."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from annotations.models import TEXT_MAX, Annotation
from campaigns.models import Campaign, Channel
from config.dates import date_check
from config.errors import DomainError

# Notes per client: the API lists and the dashboard draws every note of its window, so a bounded set.
MAX_ANNOTATIONS = 1000


def annotation_fields_check(
    *, start: date | None, end: date | None, text: str | None, channel: Channel | None, campaign: Campaign | None
) -> dict:
    """The fields of a note as they will be saved (text trimmed), or ``DomainError`` on the first
    field refused: a start date and an optional end within the dates a fact may carry
    (``config.dates``), the end not before the start, a text of 1 to 500 characters, and at most one
    of a channel and a campaign."""
    if start is None:
        raise DomainError(_("Enter the date the note is about."), field="start")
    date_check(start, field="start")
    if end is not None:
        date_check(end, field="end")
        if end < start:
            raise DomainError(_("The end comes before the start."), field="end")
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the note."), field="text")
    if len(text) > TEXT_MAX:
        raise DomainError(
            _("Keep the note to %(max)d characters (it has %(count)d).") % {"max": TEXT_MAX, "count": len(text)},
            field="text",
        )
    if channel is not None and campaign is not None:
        raise DomainError(_("Choose a channel or a campaign, not both."), field="campaign")
    return {"start": start, "end": end, "text": text, "channel": channel, "campaign": campaign}


@transaction.atomic
def annotation_create(
    *,
    start: date | None,
    text: str | None,
    end: date | None = None,
    channel: Channel | None = None,
    campaign: Campaign | None = None,
    author=None,
) -> Annotation:
    fields = annotation_fields_check(start=start, end=end, text=text, channel=channel, campaign=campaign)
    if Annotation.objects.count() >= MAX_ANNOTATIONS:
        message = _("A client account has at most %(max)d notes: delete old ones first.") % {"max": MAX_ANNOTATIONS}
        raise DomainError(message, field="text")
    authenticated = author is not None and getattr(author, "is_authenticated", False)
    return Annotation.objects.create(**fields, author=author if authenticated else None)


@transaction.atomic
def annotation_update(annotation: Annotation, **changes) -> Annotation:
    """Change some of ``start``, ``end``, ``text``, ``channel`` and ``campaign``; the rest stays. The
    author stays the person who wrote the note."""
    current = {name: getattr(annotation, name) for name in ("start", "end", "text", "channel", "campaign")}
    unknown = set(changes) - set(current)
    if unknown:
        raise TypeError(f"annotation_update() got unexpected fields {sorted(unknown)}")
    fields = annotation_fields_check(**(current | changes))
    for name, value in fields.items():
        setattr(annotation, name, value)
    annotation.save()
    return annotation


@transaction.atomic
def annotation_delete(annotation: Annotation) -> None:
    annotation.delete()
