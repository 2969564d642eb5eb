"""The one rule for a client's source (connectors.source_rules): known kind, a working connection of
the agency, the platform's id shape (normalised), the manager id, one source per kind."""

import pytest
from django.utils import translation

from connectors.models import ConnectionStatus, Source
from connectors.source_forms import SourceForm
from connectors.source_rules import SourceInvalid, source_fields_checked
from connectors.tests.source_stub import connect


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _errors(*args, **kwargs) -> dict:
    with pytest.raises(SourceInvalid) as caught:
        source_fields_checked(*args, **kwargs)
    return caught.value.errors


@pytest.mark.parametrize(
    ("kind", "typed", "kept"),
    [
        ("ga4", " properties/123456 ", "properties/123456"),
        ("search_console", "https://www.alpha.test/", "https://www.alpha.test/"),
        ("search_console", "sc-domain:alpha.test", "sc-domain:alpha.test"),
        ("google_ads", "123-456-7890", "1234567890"),
        ("meta_ads", "555123", "act_555123"),
        ("meta_ads", "act_555123", "act_555123"),
    ],
)
def test_an_id_of_the_platforms_shape_is_kept_normalised(db, world, kind, typed, kept):
    connect(world.agency, "meta" if kind == "meta_ads" else "google")
    assert source_fields_checked(world.alpha, kind, typed, "").external_id == kept


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        ("ga4", "123456"),
        ("search_console", "https://www.alpha.test"),
        ("search_console", "alpha.test"),
        ("google_ads", "12345"),
        ("meta_ads", "act_abc"),
        ("meta_ads", ""),
    ],
)
def test_an_id_of_another_shape_is_refused_in_the_platforms_words(db, world, kind, typed):
    connect(world.agency, "meta" if kind == "meta_ads" else "google")
    assert list(_errors(world.alpha, kind, typed, "")) == ["external_id"]


def test_an_unknown_kind_is_refused(db, world):
    assert _errors(world.alpha, "tiktok", "x", "") == {
        "kind": ["Unknown platform: choose ga4, search_console, google_ads or meta_ads."]
    }


def test_without_a_working_connection_the_agency_is_told_where_to_connect(db, world):
    assert "/connections/" in _errors(world.alpha, "ga4", "properties/1", "")["kind"][0]
    grant = connect(world.agency)
    grant.status = ConnectionStatus.BROKEN
    grant.save()
    assert "kind" in _errors(world.alpha, "ga4", "properties/1", "")
    connect(world.other_agency)  # another agency's grant does not help alpha
    assert "kind" in _errors(world.alpha, "ga4", "properties/1", "")


def test_the_manager_account_id_is_ten_digits_and_google_ads_only(db, world):
    connect(world.agency)
    connect(world.agency, "meta")
    assert source_fields_checked(world.alpha, "google_ads", "1234567890", "987-654-3210").login_customer_id == (
        "9876543210"
    )
    assert list(_errors(world.alpha, "google_ads", "1234567890", "42")) == ["login_customer_id"]
    assert list(_errors(world.alpha, "meta_ads", "act_1", "9876543210")) == ["login_customer_id"]


def test_one_source_per_kind_per_client(db, world):
    grant = connect(world.agency)
    source = Source.objects.create(client=world.alpha, connection=grant, kind="ga4", external_id="properties/1")
    assert _errors(world.alpha, "ga4", "properties/2", "") == {
        "kind": ["This client already has a Google Analytics 4 source: change or remove it."]
    }
    # the source being changed does not conflict with itself; another client is free
    assert source_fields_checked(world.alpha, "ga4", "properties/2", "", source=source).external_id == "properties/2"
    assert source_fields_checked(world.beta, "ga4", "properties/2", "").external_id == "properties/2"


def test_the_form_refuses_with_the_rules_words(db, world):
    connect(world.agency)
    form = SourceForm({"external_id": "12345"}, client=world.alpha, kind="google_ads", accounts=[])
    assert not form.is_valid()
    assert form.errors["external_id"] == ["A Google Ads customer id has 10 digits (123-456-7890)."]
