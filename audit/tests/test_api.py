"""GET /api/v1/audit/: agency owners read their agency's events (platform superusers every event),
filtered and paginated; everyone else signed in gets a 403, anonymous callers a 401."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from knox.models import AuthToken

from audit.models import AuditAction
from audit.services import audit_record
from tenants.models import Agency
from tenants.services import agency_suspend

URL = "/api/v1/audit/"
MARCH_2001 = {"date_from": "2001-03-01", "date_to": "2001-03-31"}


def _english(client: HttpClient) -> HttpClient:
    """The agency speaks French; these tests read the English words."""
    client.cookies["django_language"] = "en"
    return client


def _targets(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [event["target"] for event in response.json()["results"]]


def test_an_owner_reads_their_agency_s_events_newest_first(http_as, world, history):
    response = _english(http_as(world.owner)).get(URL, MARCH_2001)
    assert _targets(response) == ["abcdef123456789", "42", "beta", "new@alpha.test"]
    body = response.json()
    assert body["count"] == 4 and body["next"] is None
    assert body["results"][-1] == {
        "id": history["alpha invited"].pk,
        "at": "2001-03-01T09:00:00Z",
        "actor": "owner@agence.test",
        "agency": "Agence Test",
        "client": "alpha",
        "action": "invitation_sent",
        "action_label": "Invitation sent",
        "target": "new@alpha.test",
        "details": {},
    }
    assert body["results"][0]["client"] is None  # a token belongs to no client


def test_the_newest_event_comes_first_without_filters(http_as, world, history):
    audit_record(actor=world.owner, action=AuditAction.MEMBER_REMOVED, client=world.alpha, target="gone@alpha.test")
    assert _targets(http_as(world.owner).get(URL))[0] == "gone@alpha.test"


def test_another_agency_s_events_are_never_visible(http_as, world, history):
    other = http_as(world.other_owner).get(URL, {**MARCH_2001, "page_size": 200})
    assert _targets(other) == ["secret@gamma.test"]
    mine = http_as(world.owner).get(URL, {"page_size": 200})
    assert {event["agency"] for event in mine.json()["results"]} == {"Agence Test"}
    # naming the other agency's client is refused like a client that does not exist
    refused = http_as(world.owner).get(URL, {"client": "gamma"})
    nonexistent = http_as(world.owner).get(URL, {"client": "no-such-client"})
    assert refused.status_code == nonexistent.status_code == 400
    assert set(refused.json()) == {"client"}
    assert refused.json()["client"][0].replace("gamma", "?") == nonexistent.json()["client"][0].replace(
        "no-such-client", "?"
    )


def test_a_superuser_reads_every_agency(http_as, world, history, django_user_model):
    root = django_user_model.objects.create_superuser(email="root@platform.test", password="x")
    response = http_as(root).get(URL, MARCH_2001)
    assert _targets(response) == ["abcdef123456789", "secret@gamma.test", "42", "beta", "new@alpha.test"]


@pytest.mark.parametrize("who", ["staff", "manager_alpha", "sales_alpha", "viewer_alpha", "outsider"])
def test_everyone_else_signed_in_gets_a_403(http_as, world, history, who):
    response = _english(http_as(getattr(world, who))).get(URL)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only an agency's owners may read its audit log."}


def test_the_owners_of_a_suspended_agency_read_nothing_even_with_a_token(world, history):
    _, token = AuthToken.objects.create(user=world.owner)
    agency_suspend(Agency.objects.get(pk=world.agency.pk))  # a copy: the session's world.agency stays as it was
    response = HttpClient().get(URL, headers={"Authorization": f"Token {token}"})
    assert response.status_code == 403


def test_anonymous_callers_get_a_401_that_says_how_to_authenticate(db, world):
    response = HttpClient().get(URL)
    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")


def test_an_owner_s_token_reads_it_too(world, history):
    _, token = AuthToken.objects.create(user=world.owner)
    response = HttpClient().get(URL, MARCH_2001, headers={"Authorization": f"Token {token}"})
    assert len(_targets(response)) == 4


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"client": "alpha"}, ["42", "new@alpha.test"]),
        ({"client": "beta"}, ["beta"]),
        ({"action": "invitation_sent"}, ["new@alpha.test"]),
        ({"action": "lead_erased", "client": "beta"}, []),
        # days are whole UTC days, both ends included
        ({"date_from": "2001-03-02", "date_to": "2001-03-02"}, ["beta"]),
        ({"date_from": "2001-03-03", "date_to": "2001-03-04"}, ["abcdef123456789", "42"]),
        ({"date_from": "2001-03-01", "date_to": "2001-03-01"}, ["new@alpha.test"]),
    ],
)
def test_filters(http_as, world, history, filters, expected):
    assert _targets(http_as(world.owner).get(URL, {**MARCH_2001, **filters})) == expected


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "2001-02-30"}, "date_to"),
        ({"date_from": "1999-12-31"}, "date_from"),  # before the project's first date (config/dates.py)
        ({"date_to": "9999-12-31"}, "date_to"),  # more than a year ahead
        ({"date_from": "2001-03-05", "date_to": "2001-03-04"}, "date_to"),  # the last day before the first
        ({"action": "lead_stolen"}, "action"),
        ({"client": "x\x00y"}, "client"),
    ],
)
def test_bad_filters_are_field_errors(http_as, world, history, filters, field):
    response = http_as(world.owner).get(URL, filters)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_out_of_bounds_dates_say_the_bounds(http_as, world):
    response = http_as(world.owner).get(URL, {"date_from": "1999-12-31"})
    assert response.status_code == 400
    assert "2000-01-01" in response.json()["date_from"][0]


def test_pages_are_bounded(http_as, world, history):
    owner = http_as(world.owner)
    first = owner.get(URL, {**MARCH_2001, "page_size": 3}).json()
    assert [e["target"] for e in first["results"]] == ["abcdef123456789", "42", "beta"]
    assert first["count"] == 4 and "page=2" in first["next"]
    second = owner.get(first["next"]).json()
    assert [e["target"] for e in second["results"]] == ["new@alpha.test"]
    assert owner.get(URL, {**MARCH_2001, "page": 3, "page_size": 3}).status_code == 404
    # a page never holds more than 200 events, whatever is asked
    for number in range(205):
        audit_record(actor=world.owner, action=AuditAction.LEAD_EXPORTED, client=world.alpha, target=str(number))
    assert len(owner.get(URL, {"page_size": 100000}).json()["results"]) == 200
    assert len(owner.get(URL).json()["results"]) == 50


def test_the_number_of_queries_does_not_grow_with_the_page(http_as, world, history, django_assert_num_queries):
    owner = http_as(world.owner)
    owner.get(URL)  # the session and language settle on a first request
    # the public tenant and its search_path (3), session, user, owned agencies, count, and the page's events
    # with their agency and client (one join)
    with django_assert_num_queries(8):
        assert len(_targets(owner.get(URL, MARCH_2001))) == 4
    for number in range(40):
        audit_record(actor=world.owner, action=AuditAction.LEAD_EXPORTED, client=world.beta, target=str(number))
    with django_assert_num_queries(8):
        assert len(_targets(owner.get(URL))) >= 44
    with django_assert_num_queries(9):  # + the client named by the filter
        assert len(_targets(owner.get(URL, {"client": "beta", "action": "lead_exported"}))) == 40


def test_the_public_openapi_document_describes_it(db, anonymous):
    document = anonymous.get("/api/v1/schema/?format=json").json()
    operation = document["paths"]["/api/v1/audit/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "client",
        "action",
        "date_from",
        "date_to",
        "page",
        "page_size",
    }
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    action = next(p for p in operation["parameters"] if p["name"] == "action")
    assert "token_revoked" in str(action["schema"])
    assert "/api/v1/audit/" not in document["paths"] or "post" not in document["paths"]["/api/v1/audit/"]
