"""factory_boy factories for a client's CRM data. They write in the connection's current schema: use
them inside a client (the ``in_alpha`` / ``in_client`` fixtures). Leads, their moves and notes are
written through the services, the only writers that keep the stage history and the score right;
configuration rows (forms, scoring rules) through the models."""

from __future__ import annotations

from datetime import datetime, timedelta

import factory
from django.db.models import Max
from django.utils import timezone
from factory.django import DjangoModelFactory

from leads.models import CaptureForm, ChangeOrigin, Lead, LeadNote, ScoringRule, Stage, StageTransition
from leads.services import LeadInput, lead_add_note, lead_move_stage, lead_upsert

SITE = "https://www.alpha.example"


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


class LeadFactory(factory.Factory):
    """A lead as the API creates it (``lead_upsert``, source ``api``): created a month ago unless
    told (``created_at=None``: now, as a form or an import without a date), so a test may date
    moves in the past. Any ``LeadInput`` field may be given, and ``by`` (the user) and ``source``.
    The same email twice merges, as in the product."""

    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    created_at = factory.LazyFunction(lambda: days_ago(30))

    @classmethod
    def _create(cls, model_class, *args, by=None, source: str = ChangeOrigin.API, **record):
        lead, _ = lead_upsert(record=LeadInput(**record), by=by, source=source)
        return lead


class StageMoveFactory(factory.Factory):
    """A stage move through ``lead_move_stage`` (``to``, and optionally ``at``, ``by``, ``reason``,
    ``source``): the transition it appended to the lead's history, or None when the lead already
    was at that stage (the service records nothing then). ``lead`` may be a lead or its id."""

    class Meta:
        model = StageTransition

    lead = factory.SubFactory(LeadFactory)
    to = Stage.MQL

    @classmethod
    def _create(cls, model_class, *args, lead, **move):
        moves = model_class.objects.filter(lead_id=getattr(lead, "pk", lead), kind=model_class.Kind.MOVED)
        known = moves.aggregate(last=Max("pk"))["last"] or 0
        lead_move_stage(lead=lead, **move)
        return moves.filter(pk__gt=known).first()


class LeadNoteFactory(factory.Factory):
    """A note on a lead, through ``lead_add_note`` (``by``: its author)."""

    class Meta:
        model = LeadNote

    lead = factory.SubFactory(LeadFactory)
    body = "Called, no answer"

    @classmethod
    def _create(cls, model_class, *args, **note):
        return lead_add_note(**note)


class CaptureFormFactory(DjangoModelFactory):
    """A web form of the client's site: ``/c/<slug>/capture/<key>/``, open to alpha's example sites."""

    class Meta:
        model = CaptureForm

    key = "contact"
    name = factory.LazyAttribute(lambda o: o.key.title())
    allowed_origins = f"{SITE}\nhttps://landing.alpha.example/"


class ScoringRuleFactory(DjangoModelFactory):
    class Meta:
        model = ScoringRule

    name = factory.LazyAttribute(lambda o: f"{o.field} {o.operator} {o.value}")
    field = ScoringRule.Field.ACTIVITY
    operator = ScoringRule.Operator.EQUALS
    value = "form_submit"
    points = 10
