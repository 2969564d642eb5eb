"""The alert API: managers and agency people write rules, members read, field errors for bad input,
secrets never shown back, another client's user gets 404, and the alert list's queries are fixed."""

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from alerts.models import MAX_RULES, Alert, AlertDelivery, AlertRule

RULES = "/c/alpha/api/v1/alerts/rules/"
ALERTS = "/c/alpha/api/v1/alerts/"
SECRET = "s3cret-long-enough-for-hmac"


def _post(browser, body, path=RULES):
    return browser.post(path, body, content_type="application/json")


def test_a_manager_creates_the_least_rule_and_members_read_it(http_as, world, in_alpha):
    created = _post(
        http_as(world.manager_alpha),
        {
            "kind": "status_red",
            "channels": [
                {"type": "email", "to": "Ops@Alpha.test"},
                {"type": "webhook", "url": "http://127.0.0.1:9/h", "secret": SECRET},
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["kpi"], body["threshold"], body["stale_days"]) == ("status_red", "", 90, 3)
    assert body["channels"][0] == {"type": "email", "to": "ops@alpha.test"}
    assert body["channels"][1]["secret"] == "…hmac" and SECRET not in created.content.decode()
    assert body["created_by"] == "manager@alpha.test"
    listed = http_as(world.viewer_alpha).get(RULES)
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [body["id"]]
    assert SECRET not in listed.content.decode()
    # a patch that leaves the secret out keeps it
    patched = http_as(world.staff).patch(
        f"{RULES}{body['id']}/",
        {"kpi": "leads", "channels": [{"type": "webhook", "url": "http://127.0.0.1:9/h"}]},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert AlertRule.objects.get().channels == [{"type": "webhook", "url": "http://127.0.0.1:9/h", "secret": SECRET}]


def test_viewers_and_sales_cannot_write(http_as, world, in_alpha):
    for user in (world.viewer_alpha, world.sales_alpha):
        assert (
            _post(http_as(user), {"kind": "anomaly", "channels": [{"type": "email", "to": "a@b.test"}]}).status_code
            == 403
        )
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "loud", "channels": [{"type": "email", "to": "a@b.test"}]}, "kind"),
        ({"kind": "status_red", "kpi": "nope", "channels": [{"type": "email", "to": "a@b.test"}]}, "kpi"),
        ({"kind": "status_red", "channels": []}, "channels"),
        ({"kind": "status_red", "channels": [{"type": "email", "to": f"a{i}@b.test"} for i in range(11)]}, "channels"),
        ({"kind": "status_red", "channels": [{"type": "webhook", "url": "http://127.0.0.1/h"}]}, "channels"),
        ({"kind": "status_red", "channels": [{"type": "pigeon"}]}, "channels"),
        ({"kind": "status_red", "channels": [{"type": "email", "to": "not-an-email"}]}, "channels"),
        ({"kind": "pacing", "threshold": 0, "channels": [{"type": "email", "to": "a@b.test"}]}, "threshold"),
        ({"kind": "stale", "stale_days": 0, "channels": [{"type": "email", "to": "a@b.test"}]}, "stale_days"),
        ({"kind": "stale", "kpi": "leads", "channels": [{"type": "email", "to": "a@b.test"}]}, "kpi"),
        ({"kind": "status_red", "dimension": "planet", "channels": [{"type": "email", "to": "a@b.test"}]}, "dimension"),
        ({"kind": "status_red"}, "channels"),
    ],
)
def test_bad_input_gets_field_errors(http_as, world, in_alpha, body, field):
    answer = _post(http_as(world.manager_alpha), body)
    assert answer.status_code == 400 and field in answer.json(), answer.content


def test_a_private_webhook_is_refused_without_the_setting(http_as, world, in_alpha):
    body = {"kind": "status_red", "channels": [{"type": "slack", "url": "http://127.0.0.1:9/slack"}]}
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=False):
        answer = _post(http_as(world.manager_alpha), body)
    assert answer.status_code == 400 and "channels" in answer.json()
    assert _post(http_as(world.manager_alpha), body).status_code == 201  # allowed in tests


def test_rules_per_client_are_capped(http_as, world, in_alpha):
    AlertRule.objects.bulk_create(AlertRule(kind="anomaly", channels=[]) for _ in range(MAX_RULES))
    answer = _post(http_as(world.manager_alpha), {"kind": "anomaly", "channels": [{"type": "email", "to": "a@b.test"}]})
    assert answer.status_code == 400 and "kind" in answer.json()


def _alerts(count: int) -> None:
    rule = AlertRule.objects.create(kind="status_red", channels=[{"type": "email", "to": "a@b.test"}])
    for i in range(count):
        alert = Alert.objects.create(
            rule=rule,
            rule_ref=f"c:{rule.pk}",
            kind="status_red",
            subject=f"k{i}",
            period="month:2026-11-01",
            state="open" if i % 2 else "resolved",
        )
        AlertDelivery.objects.create(alert=alert, channel_index=0, channel=rule.channels[0], event="fired")


def test_the_alert_list_filters_by_state_newest_first_in_fixed_queries(
    http_as, world, in_alpha, django_assert_max_num_queries
):
    _alerts(3)
    browser = http_as(world.viewer_alpha)
    browser.get(ALERTS)  # session, access: warm
    with django_assert_max_num_queries(8) as few:
        assert browser.get(ALERTS).status_code == 200
    _alerts(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        everything = browser.get(ALERTS).json()
    assert len(everything) == 23 and [a["id"] for a in everything] == sorted(
        (a["id"] for a in everything), reverse=True
    )
    assert everything[0]["deliveries"][0]["channel"] == "email"
    opened = browser.get(ALERTS, {"state": "open"}).json()
    assert opened and {a["state"] for a in opened} == {"open"}
    assert browser.get(ALERTS, {"state": "closed"}).status_code == 400
    assert browser.get(f"{ALERTS}{everything[0]['id']}/").json()["subject"] == everything[0]["subject"]


def test_another_clients_user_gets_404(http_as, world, in_alpha):
    _alerts(1)
    rule = AlertRule.objects.get()
    for path in (RULES, ALERTS, f"{RULES}{rule.pk}/"):
        assert http_as(world.viewer_beta).get(path).status_code == 404
        assert http_as(world.other_owner).get(path).status_code == 404
    with tenant_context(world.beta):
        assert http_as(world.viewer_beta).get("/c/beta/api/v1/alerts/").json() == []


def test_a_patch_changes_only_what_it_names(http_as, world, in_alpha):
    rule = AlertRule.objects.create(kind="status_red", kpi="leads", channels=[{"type": "email", "to": "a@b.test"}])
    browser = http_as(world.manager_alpha)
    answer = browser.patch(f"{RULES}{rule.pk}/", {"active": False}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    rule.refresh_from_db()
    assert (rule.kpi, rule.active, rule.channels) == ("leads", False, [{"type": "email", "to": "a@b.test"}])
    stale = browser.patch(f"{RULES}{rule.pk}/", {"kind": "stale"}, content_type="application/json")
    assert stale.status_code == 400 and "kpi" in stale.json()
