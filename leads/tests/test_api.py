import json

import pytest
from django.test import Client as HttpClient
from django.utils import translation
from knox.models import AuthToken

from campaigns.models import Offer
from campaigns.tests.factories import OfferFactory
from leads.models import Lead, ScoringRule, Stage
from leads.services import OWNER_REFUSED
from leads.tests.factories import LeadFactory, days_ago

API = "/c/alpha/api/v1"


@pytest.fixture
def leads(world, in_alpha):
    """Three leads in alpha, where the test runs: Ada (a webinar, from Google Ads), Bob (an MQL of the
    sales person) and Cy (an SQL)."""
    webinar = OfferFactory(key="webinar", kind=Offer.Kind.WEBINAR)
    return {
        "ada": LeadFactory(
            email="ada@x.io",
            created_at=days_ago(40),
            first_name="Ada",
            company="Analytical",
            offer=webinar,
            utm_source="google",
            utm_medium="cpc",
        ),
        "bob": LeadFactory(email="bob@x.io", created_at=days_ago(20), stage=Stage.MQL, owner=world.sales_alpha),
        "cy": LeadFactory(email="cy@x.io", created_at=days_ago(5), stage=Stage.SQL),
    }


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def test_list_filters_orders_and_paginates(http_as, world, leads):
    api = http_as(world.sales_alpha)
    assert api.get(f"{API}/leads/").json()["count"] == 3
    assert [r["email"] for r in api.get(f"{API}/leads/?stage=mql&stage=sql&ordering=created_at").json()["results"]] == [
        "bob@x.io",
        "cy@x.io",
    ]
    assert [r["email"] for r in api.get(f"{API}/leads/?mine=true").json()["results"]] == ["bob@x.io"]
    assert [r["email"] for r in api.get(f"{API}/leads/?channel=paid_search").json()["results"]] == ["ada@x.io"]
    assert [r["email"] for r in api.get(f"{API}/leads/?offer=webinar").json()["results"]] == ["ada@x.io"]
    assert [r["email"] for r in api.get(f"{API}/leads/?q=analytical").json()["results"]] == ["ada@x.io"]
    since = days_ago(10).isoformat().replace("+00:00", "Z")
    assert [r["email"] for r in api.get(f"{API}/leads/", {"created_from": since}).json()["results"]] == ["cy@x.io"]
    assert api.get(f"{API}/leads/?stage=nonsense").status_code == 400


def test_create_then_merge_by_email(http_as, world, in_alpha, leads):
    api = http_as(world.sales_alpha)
    created = post(api, f"{API}/leads/", {"email": "New@X.io", "utm_source": "linkedin", "utm_medium": "social"})
    assert created.status_code == 201
    assert (created.json()["email"], created.json()["channel"]) == ("new@x.io", "organic_social")
    merged = post(api, f"{API}/leads/", {"email": "new@x.io ", "company": "Initech"})
    assert merged.status_code == 200 and merged.json()["company"] == "Initech"
    assert Lead.objects.filter(email="new@x.io").count() == 1


def test_naive_timestamps_are_read_in_the_clients_time_zone(http_as, world, leads):
    response = post(http_as(world.sales_alpha), f"{API}/leads/", {"email": "tz@x.io", "created_at": "2026-01-15T09:00"})
    assert response.status_code == 201
    assert response.json()["created_at"] == "2026-01-15T09:00:00+01:00"  # Europe/Paris in winter


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@x.io", "channel": "tv"}, "channel"),
        ({"email": "a@x.io", "stage": "won"}, "stage"),
        (
            {"email": "a@x.io", "created_at": "2026-01-10T00:00:00Z", "stage": "mql", "mql_at": "2026-01-01T00:00:00Z"},
            "mql_at",
        ),
        ({"email": "a@x.io", "deal_value": "-5"}, "deal_value"),
        ({"email": "a@x.io", "owner": "viewer@alpha.test"}, "owner"),
        ({"email": "a@x.io", "created_at": "yesterday"}, "created_at"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(http_as, world, leads, body, field):
    response = post(http_as(world.sales_alpha), f"{API}/leads/", body)
    assert response.status_code == 400
    assert field in response.json()


def test_move_and_its_history(http_as, world, leads):
    api = http_as(world.sales_alpha)
    bob = leads["bob"].pk
    moved = post(api, f"{API}/leads/{bob}/move/", {"to": "sql", "reason": "demo booked"})
    assert moved.status_code == 200 and moved.json()["stage"] == "sql"
    history = api.get(f"{API}/leads/{bob}/history/").json()
    assert [(h["kind"], h["from_stage"], h["to_stage"], h["source"]) for h in history] == [
        ("created", "", "mql", "api"),
        ("moved", "mql", "sql", "api"),
    ]
    assert history[-1]["by"] == "sales@alpha.test" and history[-1]["reason"] == "demo booked"


def test_a_move_before_the_lead_was_created_is_a_400(http_as, world, in_alpha, leads):
    cy = leads["cy"]
    response = post(
        http_as(world.sales_alpha), f"{API}/leads/{cy.pk}/move/", {"to": "customer", "at": days_ago(30).isoformat()}
    )
    assert response.status_code == 400 and "at" in response.json()
    assert Lead.objects.get(pk=cy.pk).stage == Stage.SQL


def test_bulk_move_lost_reopen_notes_and_owner(http_as, world, leads):
    api = http_as(world.manager_alpha)
    ids = [leads["ada"].pk, leads["bob"].pk]
    bulk = post(api, f"{API}/leads/bulk-move/", {"lead_ids": ids, "to": "customer"})
    assert bulk.status_code == 200 and {r["stage"] for r in bulk.json()} == {"customer"}
    assert post(api, f"{API}/leads/{ids[0]}/lost/", {"reason": "churned"}).json()["is_lost"] is True
    assert post(api, f"{API}/leads/{ids[0]}/lost/", {"reason": "again"}).status_code == 400
    assert post(api, f"{API}/leads/{ids[0]}/reopen/", {}).json()["is_lost"] is False
    assert post(api, f"{API}/leads/{ids[0]}/notes/", {"body": "Renewal in May"}).status_code == 201
    assert api.get(f"{API}/leads/{ids[0]}/notes/").json()[0]["body"] == "Renewal in May"
    patched = api.patch(
        f"{API}/leads/{ids[0]}/", {"owner": "sales@alpha.test", "company": "ACME"}, content_type="application/json"
    )
    assert (patched.json()["owner"], patched.json()["company"]) == ("sales@alpha.test", "ACME")
    assert (
        api.patch(f"{API}/leads/{ids[0]}/", {"stage": "lead"}, content_type="application/json").json()["stage"]
        == "customer"
    )  # not writable through PATCH


def test_a_viewer_can_neither_read_nor_write_leads_and_changes_nothing(http_as, world, in_alpha, leads):
    viewer = http_as(world.viewer_alpha)
    bob = leads["bob"].pk
    attempts = [
        viewer.get(f"{API}/leads/"),
        viewer.get(f"{API}/leads/{bob}/"),
        viewer.get(f"{API}/leads/{bob}/history/"),
        post(viewer, f"{API}/leads/", {"email": "v@x.io"}),
        post(viewer, f"{API}/leads/{bob}/move/", {"to": "customer"}),
        post(viewer, f"{API}/leads/bulk-move/", {"lead_ids": [bob], "to": "customer"}),
        post(viewer, f"{API}/leads/{bob}/notes/", {"body": "hi"}),
        viewer.patch(f"{API}/leads/{bob}/", {"company": "X"}, content_type="application/json"),
        post(viewer, f"{API}/leads/{bob}/erase/", {}),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    lead = Lead.objects.get(pk=bob)
    assert (Lead.objects.count(), lead.stage, lead.company, lead.notes.count()) == (3, Stage.MQL, "", 0)


def test_gdpr_export_and_erase(http_as, world, leads):
    manager, sales = http_as(world.manager_alpha), http_as(world.sales_alpha)
    ada = leads["ada"].pk
    export = sales.get(f"{API}/leads/{ada}/export/").json()
    assert export["contact"]["email"] == "ada@x.io" and export["history"][0]["kind"] == "created"
    assert post(sales, f"{API}/leads/{ada}/erase/", {}).status_code == 403
    assert post(manager, f"{API}/leads/{ada}/erase/", {"block_recapture": True}).status_code == 204
    assert manager.get(f"{API}/leads/{ada}/").status_code == 404


def test_scoring_rules_are_managed_by_managers_and_validated(http_as, world, in_alpha, leads):
    manager, sales = http_as(world.manager_alpha), http_as(world.sales_alpha)
    rule = {"name": "Webinar", "field": "offer_kind", "operator": "eq", "value": "webinar", "points": 40}
    assert post(sales, f"{API}/scoring-rules/", rule).status_code == 403
    created = post(manager, f"{API}/scoring-rules/", rule)
    assert created.status_code == 201
    assert manager.get(f"{API}/leads/{leads['ada'].pk}/").json()["score"] == 40
    bad = post(manager, f"{API}/scoring-rules/", {**rule, "field": "activity", "value": "dancing"})
    assert bad.status_code == 400 and "value" in bad.json()
    settings = manager.put(
        f"{API}/crm-settings/", {"mql_threshold": 30, "block_erased_emails": True}, content_type="application/json"
    )
    assert settings.status_code == 200
    assert manager.get(f"{API}/leads/{leads['ada'].pk}/").json()["stage"] == "mql"
    assert manager.delete(f"{API}/scoring-rules/{created.json()['id']}/").status_code == 204
    assert not ScoringRule.objects.exists()
    assert Lead.objects.get(pk=leads["ada"].pk).score == 0


def test_tokens_authenticate_scripts_within_the_users_clients_and_can_be_revoked(leads):
    anonymous = HttpClient()
    bad = anonymous.post("/api/v1/tokens/", {"email": "sales@alpha.test", "password": "wrong"})
    assert bad.status_code in (401, 403)
    made = anonymous.post("/api/v1/tokens/", {"email": "sales@alpha.test", "password": "correct-horse-battery-staple"})
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("pouls_") and not AuthToken.objects.filter(digest=token).exists()  # stored hashed
    script = HttpClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert script.get(f"{API}/leads/").status_code == 200
    assert script.post(f"{API}/leads/", {"email": "t@x.io"}, content_type="application/json").status_code == 201
    assert script.get("/c/beta/api/v1/leads/").status_code == 404
    assert script.delete(f"/api/v1/tokens/{made.json()['token_key']}/").status_code == 204
    assert script.get(f"{API}/leads/").status_code in (401, 403)


def test_an_unknown_owner_and_one_who_may_not_own_leads_get_the_same_error(http_as, world, in_alpha, leads):
    # given emails of nobody, of a viewer of alpha, of another agency's owner, of a platform superuser
    from tenants.models import User

    User.objects.create_superuser("platform@pouls.test", "a-long-staff-password")
    api = http_as(world.sales_alpha)
    refused = ("nobody-at-all@example.test", "viewer@alpha.test", "owner@other.test", "platform@pouls.test")
    # when each is set as the owner of a new lead and of an existing one
    created = [post(api, f"{API}/leads/", {"email": "new@x.io", "owner": email}) for email in refused]
    patched = [
        api.patch(f"{API}/leads/{leads['ada'].pk}/", {"owner": email}, content_type="application/json")
        for email in refused
    ]
    # then every answer is the same 400, word for word: nothing tells which emails have accounts
    answers = {(r.status_code, r.content) for r in created + patched}
    assert len(answers) == 1
    [(status, body)] = answers
    assert status == 400
    with translation.override("fr"):  # the agency's language
        assert json.loads(body) == {"owner": [str(OWNER_REFUSED)]}
    assert not Lead.objects.filter(email="new@x.io").exists()
    assert Lead.objects.get(pk=leads["ada"].pk).owner_id is None
    # while an email of someone who may own alpha's leads is accepted (typed any way)
    accepted = post(api, f"{API}/leads/", {"email": "new@x.io", "owner": " Staff@Agence.test "})
    assert (accepted.status_code, accepted.json()["owner"]) == (201, "staff@agence.test")


@pytest.mark.parametrize("field", ["channel", "campaign", "offer", "landing_page", "owner"])
def test_a_nul_character_in_a_related_key_is_a_400_on_that_field(http_as, world, in_alpha, leads, field):
    api = http_as(world.sales_alpha)
    body = {"email": "nul@x.io", field: "web\x00inar"}
    # when a lead is created naming a related row (or its owner) with a NUL character, as JSON and as a form
    for response in (post(api, f"{API}/leads/", body), api.post(f"{API}/leads/", body)):
        # then it is refused on that field, and no lead is written
        assert response.status_code == 400, response.content
        assert list(response.json()) == [field]
    assert not Lead.objects.filter(email="nul@x.io").exists()


def test_a_utc_offset_postgresql_cannot_read_is_a_400_in_filters_and_fields(http_as, world, leads):
    api = http_as(world.sales_alpha)
    # when leads are listed or written at a time whose UTC offset is beyond ±15:59
    listed = api.get(f"{API}/leads/", {"created_to": "2026-01-01T00:00:00-17:06"})
    created = post(api, f"{API}/leads/", {"email": "far@x.io", "created_at": "2026-01-01T00:00:00+16:00"})
    moved = post(api, f"{API}/leads/{leads['ada'].pk}/move/", {"to": "mql", "at": "2026-01-01T00:00:00-16:30"})
    # then each names its field
    assert (listed.status_code, list(listed.json())) == (400, ["created_to"])
    assert (created.status_code, list(created.json())) == (400, ["created_at"])
    assert (moved.status_code, list(moved.json())) == (400, ["at"])
    # and the widest real offsets are read
    assert api.get(f"{API}/leads/", {"created_from": "2020-01-01T00:00:00-12:00"}).json()["count"] == 3
