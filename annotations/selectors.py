"""Reads of annotations (current client): the notes over a range of dates in ONE query, and which
of them explains a KPI row's period — a note of the whole account explains any row, a channel's or
a campaign's only the rows of that key (docs/kpis.md §6)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q

from annotations.models import Annotation

SCOPED = ("channel", "campaign")


def overlapping(first: date | None = None, last: date | None = None) -> Q:
    """Notes whose days (``start`` to ``end``, or ``start`` alone) touch ``[first, last]``; a missing
    bound is open. The one overlap rule of the dashboard, the explanations and the API's filter."""
    condition = Q()
    if first is not None:
        condition &= Q(end__gte=first) | Q(end__isnull=True, start__gte=first)
    if last is not None:
        condition &= Q(start__lte=last)
    return condition


def annotations_between(*, first: date, last: date, dimension: str = "", key: str = "") -> list[Annotation]:
    """The notes whose days overlap ``[first, last]``, oldest first, with their channel, campaign
    and author: ONE query. With ``dimension`` (a drill-down), only the whole account's notes and
    those of the key drilled into."""
    notes = Annotation.objects.select_related("channel", "campaign", "author").filter(overlapping(first, last))
    if dimension:
        scope = Q(channel__isnull=True, campaign__isnull=True)
        if dimension in SCOPED:
            scope |= Q(**{f"{dimension}__key": key})
        notes = notes.filter(scope)
    return list(notes)


def annotation_explaining(
    annotations: Iterable[Annotation], *, first: date, last: date, dimension: str = "", key: str = ""
) -> Annotation | None:
    """The note that likely explains a row of ``(dimension, key)`` over the days ``[first, last]``:
    the first (oldest) that overlaps them and is the whole account's or of that very key."""
    for note in annotations:
        if note.start > last or note.last_day < first:
            continue
        scope = note.scope
        if not scope[0] or scope == (dimension, key):
            return note
    return None


def annotation_brief(note: Annotation) -> dict:
    """What an explanation carries (the API's ``explanation``)."""
    dimension, key = note.scope
    return {
        "id": note.pk,
        "start": note.start.isoformat(),
        "end": note.end.isoformat() if note.end else None,
        "text": note.text,
        "channel": key if dimension == "channel" else None,
        "campaign": key if dimension == "campaign" else None,
    }
