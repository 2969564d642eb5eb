"""The one rule of a note's fields and the writes through it."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from annotations import services
from annotations.models import Annotation
from annotations.selectors import annotation_explaining, annotations_between
from annotations.tests.factories import AnnotationFactory
from campaigns.tests.factories import CampaignFactory, builtin_channel
from config.errors import DomainError


def _refusal(**fields) -> tuple[str, str]:
    values = {"start": date(2026, 3, 3), "end": None, "text": "Tracking cassé", "channel": None, "campaign": None}
    with pytest.raises(DomainError) as refused:
        services.annotation_fields_check(**(values | fields))
    return refused.value.field, refused.value.message


def test_each_bad_field_is_refused_on_its_own_field(in_alpha):
    assert _refusal(start=None)[0] == "start"
    assert _refusal(start=date(1999, 12, 31)) == ("start", _refusal(start=date(1999, 1, 1))[1])
    assert "2000-01-01" in _refusal(start=date(1999, 12, 31))[1]
    assert _refusal(end=date(2026, 3, 2))[0] == "end"
    assert _refusal(end=date(2100, 1, 1))[0] == "end"
    assert _refusal(text="   ")[0] == "text"
    assert _refusal(text="x" * 501)[0] == "text"
    assert _refusal(channel=builtin_channel("email"), campaign=CampaignFactory())[0] == "campaign"


def test_a_note_is_saved_trimmed_with_its_author_and_changed_field_by_field(in_alpha, world):
    # given a note of one channel over three days
    note = services.annotation_create(
        start=date(2026, 3, 3),
        end=date(2026, 3, 5),
        text="  Tracking cassé  ",
        channel=builtin_channel("paid_search"),
        author=world.sales_alpha,
    )
    # when only its text changes
    services.annotation_update(note, text="Tracking réparé le 5")
    # then the rest stays
    note.refresh_from_db()
    assert (note.start, note.end, note.text) == (date(2026, 3, 3), date(2026, 3, 5), "Tracking réparé le 5")
    assert note.scope == ("channel", "paid_search") and note.author == world.sales_alpha
    with pytest.raises(DomainError):
        services.annotation_update(note, end=date(2026, 3, 1))
    services.annotation_delete(note)
    assert not Annotation.objects.exists()


def test_the_database_refuses_what_the_rule_refuses(in_alpha):
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(start=date(2026, 3, 3), end=date(2026, 3, 1), text="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(
            start=date(2026, 3, 3), text="x", channel=builtin_channel("email"), campaign=CampaignFactory()
        )


def test_notes_overlapping_a_range_and_the_one_that_explains_a_row(in_alpha, django_assert_num_queries):
    # given a note of the whole account, one of a channel and one of a campaign, and one outside
    campaign = CampaignFactory(key="printemps")
    whole = AnnotationFactory(start=date(2026, 3, 3), end=date(2026, 3, 5), text="Tracking cassé")
    paid = AnnotationFactory(start=date(2026, 2, 27), end=date(2026, 3, 2), channel=builtin_channel("paid_search"))
    spring = AnnotationFactory(start=date(2026, 3, 20), campaign=campaign)
    AnnotationFactory(start=date(2026, 4, 1))
    # when March's notes are read (one query, with their channel, campaign and author)
    with django_assert_num_queries(1):
        notes = annotations_between(first=date(2026, 3, 1), last=date(2026, 3, 31))
        scopes = [n.scope for n in notes]
    # then
    assert notes == [paid, whole, spring]
    assert scopes == [("channel", "paid_search"), ("", ""), ("campaign", "printemps")]
    march = {"first": date(2026, 3, 1), "last": date(2026, 3, 31)}
    assert annotation_explaining(notes, **march) == whole  # totals: the whole account's note only
    assert annotation_explaining(notes, **march, dimension="channel", key="paid_search") == paid  # oldest first
    assert annotation_explaining(notes, first=date(2026, 3, 16), last=date(2026, 3, 22)) is None
    week = {"first": date(2026, 3, 16), "last": date(2026, 3, 22)}
    assert annotation_explaining(notes, **week, dimension="campaign", key="printemps") == spring
    assert annotation_explaining(notes, **week, dimension="campaign", key="other") is None
    # and a drill-down reads the whole account's notes and the key's only
    drilled = annotations_between(first=date(2026, 3, 1), last=date(2026, 3, 31), dimension="campaign", key="printemps")
    assert drilled == [whole, spring]
    assert annotations_between(first=date(2026, 3, 1), last=date(2026, 3, 31), dimension="offer", key="x") == [whole]


def test_a_client_holds_a_bounded_number_of_notes(in_alpha, monkeypatch):
    # given a client at its (lowered) limit of notes
    monkeypatch.setattr(services, "MAX_ANNOTATIONS", 2)
    for day in (1, 2):
        services.annotation_create(start=date(2026, 3, day), text=f"Note {day}")
    # then one more is refused on its text, and nothing is written
    with pytest.raises(DomainError) as refused:
        services.annotation_create(start=date(2026, 3, 3), text="Une de trop")
    assert refused.value.field == "text" and "2" in refused.value.message
    assert Annotation.objects.count() == 2
    # and deleting one makes room again
    services.annotation_delete(Annotation.objects.first())
    assert services.annotation_create(start=date(2026, 3, 3), text="À nouveau").pk
