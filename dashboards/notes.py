"""The client's notes on its dashboard (``annotations``): the list beside the charts, the data the
charts' markers are drawn from, the form's choice of channel or campaign, and the note a card's
anomaly flag shows as its likely explanation.

Which notes: every note over the charts' dates (``selectors.notes_window``); in a drill-down into a
channel or a campaign, the whole account's notes and that key's only, in any other drill-down the
whole account's. Every time-series chart marks every note shown, whatever its scope: the tooltip
and the list say which channel or campaign a note is about."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Value
from django.utils.translation import gettext as _

from annotations.models import Annotation
from annotations.selectors import annotation_explaining
from campaigns.channels import channel_label
from campaigns.models import Campaign, Channel
from dashboards.formatting import Formatter
from dashboards.selectors import DashboardData
from kpis.models import PeriodKind
from kpis.periods import period_shift


def note_scope(note: Annotation) -> str:
    """What a note is about, in words: ``Channel: Paid search``, ``Campaign: Spring`` or the account."""
    if note.channel_id:
        return _("Channel: %(name)s") % {"name": channel_label(note.channel.key, note.channel.name)}
    if note.campaign_id:
        return _("Campaign: %(name)s") % {"name": note.campaign.name}
    return _("Whole account")


def note_dates(note: Annotation, fmt: Formatter) -> str:
    """``3 mars 2026``, or ``3 mars 2026 – 5 mars 2026`` for a span."""
    first = fmt.period(note.start, PeriodKind.DAY)
    return first if not note.end or note.end == note.start else f"{first} – {fmt.period(note.end, PeriodKind.DAY)}"


def note_rows(data: DashboardData, fmt: Formatter, *, authors: bool = True) -> list[dict]:
    """The list beside the charts, newest first; without ``authors`` (a shared page's reader has no
    account) nobody's name or email is in it."""
    return [
        {
            "id": note.pk,
            "start": note.start,
            "end": note.end or note.start,
            "dates": note_dates(note, fmt),
            "text": note.text,
            "scope": note_scope(note),
            "author": (note.author.full_name or note.author.email)
            if authors and note.author_id and note.author
            else "",
        }
        for note in reversed(data.notes)
    ]


def note_markers(data: DashboardData, fmt: Formatter) -> list[dict]:
    """What the charts' markers are drawn from (``json_script``): ISO dates, the text and its scope."""
    return [
        {
            "start": note.start.isoformat(),
            "end": (note.end or note.start).isoformat(),
            "dates": note_dates(note, fmt),
            "text": note.text,
            "scope": note_scope(note),
        }
        for note in data.notes
    ]


def note_choices() -> list[tuple[str, str]]:
    """The form's choice of what a note is about: the account, a channel or a campaign (ONE query)."""
    channels = Channel.objects.annotate(d=Value("channel")).values_list("d", "pk", "key", "name")
    campaigns = Campaign.objects.annotate(d=Value("campaign")).values_list("d", "pk", "key", "name")
    choices = [("", _("Whole account"))]
    for dimension, pk, key, name in channels.union(campaigns, all=True).order_by("d", "name"):
        label = channel_label(key, name) if dimension == "channel" else name
        words = _("Channel: %(name)s") if dimension == "channel" else _("Campaign: %(name)s")
        choices.append((f"{dimension}:{pk}", words % {"name": label}))
    return choices


def note_explaining_focus(data: DashboardData) -> Annotation | None:
    """The note over the focus period of the dashboard's scope (totals, or the drilled key)."""
    last = period_shift(data.focus, data.state.period, 1) - timedelta(days=1)
    scope = {"dimension": data.state.dimension or "", "key": data.state.key or ""}
    return annotation_explaining(data.notes, first=data.focus, last=last, **scope)
