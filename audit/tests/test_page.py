"""The audit log page (/audit/): agency owners read their agency's events, in their language, filtered
and a bounded page at a time, in a fixed number of queries; everyone else gets a 403."""

from __future__ import annotations

import re

import pytest

from audit.models import AuditAction
from audit.services import audit_record

URL = "/audit/"
MARCH_2001 = {"date_from": "2001-03-01", "date_to": "2001-03-31"}


def _events(response) -> list[str]:
    return re.findall(r'<tr data-event="\d+" data-action="([a-z_]+)">', response.content.decode())


def test_an_owner_reads_their_agency_s_events(http_as, world, history):
    response = http_as(world.owner).get(URL, MARCH_2001)
    assert response.status_code == 200
    assert _events(response) == ["token_created", "lead_erased", "client_archived", "invitation_sent"]
    html = response.content.decode()
    assert "new@alpha.test" in html and "manager@alpha.test" in html and "Alpha SAS" in html
    assert "secret@gamma.test" not in html and "Gamma" not in html  # never another agency's


def test_in_french_and_in_english(http_as, world, history):
    owner = http_as(world.owner)  # the agency speaks French
    french = owner.get(URL, MARCH_2001).content.decode()
    assert "<h1>Journal d'audit</h1>" in french and "Invitation envoyée" in french and "Appliquer" in french
    owner.cookies["django_language"] = "en"
    english = owner.get(URL, MARCH_2001).content.decode()
    assert "Audit log" in english and "Invitation sent" in english and "Apply" in english


@pytest.mark.parametrize("who", ["staff", "manager_alpha", "sales_alpha", "viewer_alpha", "outsider"])
def test_everyone_else_gets_a_403(http_as, world, who):
    assert http_as(getattr(world, who)).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(anonymous):
    response = anonymous.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"client": str}, ["lead_erased", "invitation_sent"]),
        ({"action": "client_archived"}, ["client_archived"]),
        ({"date_from": "2001-03-02", "date_to": "2001-03-03"}, ["lead_erased", "client_archived"]),
    ],
)
def test_filters(http_as, world, history, filters, expected):
    if filters.get("client") is str:
        filters = {"client": world.alpha.slug}
    assert _events(http_as(world.owner).get(URL, {**MARCH_2001, **filters})) == expected


def test_the_client_filter_offers_the_agency_s_clients_only(http_as, world, history):
    html = http_as(world.owner).get(URL).content.decode()
    assert '<option value="alpha">Alpha SAS</option>' in html and '<option value="beta">' in html
    assert 'value="gamma"' not in html


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"date_from": "1999-12-31"}, "2000-01-01"),
        ({"date_to": "not a day"}, "date"),
        ({"client": "gamma"}, "Select a valid choice"),  # as for a client that does not exist
        ({"date_from": "2001-03-05", "date_to": "2001-03-04"}, "The last day comes before the first."),
    ],
)
def test_bad_filters_show_their_error_and_no_events(http_as, world, history, filters, message):
    owner = http_as(world.owner)
    owner.cookies["django_language"] = "en"
    response = owner.get(URL, filters)
    assert response.status_code == 400
    errors = re.search(
        r'<ul class="form-errors" data-testid="filter-errors">(.*?)</ul>', response.content.decode(), re.S
    )
    assert errors and message in errors.group(1)
    assert _events(response) == []


def test_pages_hold_50_events(http_as, world, history):
    for number in range(55):
        audit_record(actor=world.owner, action=AuditAction.LEAD_EXPORTED, client=world.beta, target=str(number))
    owner = http_as(world.owner)
    first = owner.get(URL, {"action": "lead_exported", "client": "beta"})
    assert len(_events(first)) == 50
    assert "page=2" in first.content.decode() and "action=lead_exported&amp;client=beta&amp;page=2" in (
        first.content.decode()
    )
    second = owner.get(URL, {"action": "lead_exported", "client": "beta", "page": 2})
    assert len(_events(second)) == 5


def test_the_number_of_queries_is_fixed(http_as, world, history, django_assert_num_queries):
    owner = http_as(world.owner)
    owner.get(URL)  # the session and language settle on a first request
    # the public tenant and its search_path (3), session, user, owned agencies, the client filter's choices,
    # count, and the page's events with their agency and client (one join)
    with django_assert_num_queries(9):
        assert len(_events(owner.get(URL, MARCH_2001))) == 4
    for number in range(60):
        audit_record(actor=world.owner, action=AuditAction.LEAD_EXPORTED, client=world.beta, target=str(number))
    with django_assert_num_queries(9):
        assert len(_events(owner.get(URL))) == 50
    with django_assert_num_queries(10):  # + the client named by the filter
        assert len(_events(owner.get(URL, {"client": "beta", "action": "lead_exported", "page": 2}))) == 10
