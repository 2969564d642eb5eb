"""The agency defaults API (/api/v1/alert-defaults/): the agency's owners and staff list, create,
read, change and remove its default alert rules with the client rules' rule; another agency's people
get 404; client people get 403; channels are masked; the list's queries are fixed."""

from alerts.models import Alert
from portfolio.models import MAX_AGENCY_ALERT_RULES, AgencyAlertRule

DEFAULTS = "/api/v1/alert-defaults/"
EMAIL = [{"type": "email", "to": "ops@agence.test"}]
SLACK = "http://127.0.0.1:9/services/T0/B0/SLACKTOKENabcd"


def _post(browser, body):
    return browser.post(DEFAULTS, body, content_type="application/json")


def test_agency_people_manage_their_defaults(http_as, world):
    owner = http_as(world.owner)
    created = _post(
        owner, {"kind": "status_red", "kpi": "leads", "channels": [*EMAIL, {"type": "slack", "url": SLACK}]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["agency"], body["kind"], body["kpi"]) == (world.agency.pk, "status_red", "leads")
    assert "SLACKTOKEN" not in created.content.decode() and body["channels"][1]["url"] == "http://127.0.0.1/…abcd"
    rule = AgencyAlertRule.objects.get(pk=body["id"])
    assert rule.channels[1]["url"] == SLACK
    staff = http_as(world.staff)
    assert [r["id"] for r in staff.get(DEFAULTS).json()] == [rule.pk]
    detail = f"{DEFAULTS}{rule.pk}/"
    # the masked channels sent back keep the Slack URL
    patched = staff.patch(detail, {"threshold": 80, "channels": body["channels"]}, content_type="application/json")
    assert patched.status_code == 200, patched.content
    rule.refresh_from_db()
    assert (rule.threshold, rule.channels[1]["url"]) == (80, SLACK)
    assert staff.get(detail).json()["threshold"] == 80
    assert staff.delete(detail).status_code == 204
    assert not AgencyAlertRule.objects.filter(pk=rule.pk).exists()


def test_another_agency_gets_404_and_client_people_403(http_as, world):
    rule = AgencyAlertRule.objects.create(agency=world.agency, kind="anomaly", channels=EMAIL)
    detail = f"{DEFAULTS}{rule.pk}/"
    other = http_as(world.other_owner)
    assert other.get(DEFAULTS).json() == []
    assert other.get(detail).status_code == 404
    assert other.patch(detail, {"threshold": 50}, content_type="application/json").status_code == 404
    assert other.delete(detail).status_code == 404
    # naming an agency one does not work for: 404
    assert _post(other, {"kind": "anomaly", "channels": EMAIL, "agency": world.agency.pk}).status_code == 404
    for user in (world.manager_alpha, world.viewer_alpha, world.sales_alpha, world.outsider):
        browser = http_as(user)
        assert browser.get(DEFAULTS).status_code == 403
        assert _post(browser, {"kind": "anomaly", "channels": EMAIL}).status_code == 403
        assert browser.get(detail).status_code in (403, 404)
        assert browser.delete(detail).status_code in (403, 404)
    assert http_as(None).get(DEFAULTS).status_code in (401, 403)
    assert AgencyAlertRule.objects.filter(pk=rule.pk, threshold=90).exists()


def test_bad_input_gets_field_errors(http_as, world):
    owner = http_as(world.owner)
    for body, field in [
        ({"kind": "status_red", "kpi": "my_custom_kpi", "channels": EMAIL}, "kpi"),
        ({"kind": "loud", "channels": EMAIL}, "kind"),
        ({"kind": "pacing", "threshold": 500, "channels": EMAIL}, "threshold"),
        ({"kind": "stale", "stale_days": 9999, "channels": EMAIL}, "stale_days"),
        ({"kind": "status_red", "channels": [{"type": "email", "to": f"a{i}@b.test"} for i in range(11)]}, "channels"),
        ({"kind": "status_red", "channels": "nope"}, "channels"),
        ({"kind": "status_red", "dimension": "channel", "key": "k" * 301, "channels": EMAIL}, "key"),
    ]:
        answer = _post(owner, body)
        assert answer.status_code == 400 and field in answer.json(), (body, answer.content)
    rule = AgencyAlertRule.objects.create(agency=world.agency, kind="anomaly", channels=EMAIL)
    moved = owner.patch(f"{DEFAULTS}{rule.pk}/", {"agency": world.other_agency.pk}, content_type="application/json")
    assert moved.status_code == 400 and "agency" in moved.json()
    stale_kpi = owner.patch(f"{DEFAULTS}{rule.pk}/", {"kind": "stale"}, content_type="application/json")
    assert stale_kpi.status_code == 200  # no KPI: fine
    refused = owner.patch(f"{DEFAULTS}{rule.pk}/", {"kpi": "leads"}, content_type="application/json")
    assert refused.status_code == 400 and "kpi" in refused.json()


def test_the_cap_holds(http_as, world):
    AgencyAlertRule.objects.bulk_create(
        [AgencyAlertRule(agency=world.agency, kind="anomaly", channels=EMAIL) for _ in range(MAX_AGENCY_ALERT_RULES)]
    )
    answer = _post(http_as(world.owner), {"kind": "anomaly", "channels": EMAIL})
    assert answer.status_code == 400 and "kind" in answer.json()


def test_the_list_reads_in_fixed_queries(http_as, world, django_assert_max_num_queries):
    owner = http_as(world.owner)
    owner.get(DEFAULTS)  # session and user loaded once
    AgencyAlertRule.objects.bulk_create(
        [AgencyAlertRule(agency=world.agency, kind="anomaly", channels=EMAIL) for _ in range(20)]
    )
    with django_assert_max_num_queries(7):  # session, user, memberships, agencies, rules…
        answer = owner.get(DEFAULTS)
    assert answer.status_code == 200 and len(answer.json()) == 20


def test_a_removed_default_closes_its_open_alert_quietly(http_as, world, in_alpha):
    from alerts.evaluate import alerts_evaluate

    rule = AgencyAlertRule.objects.create(agency=world.agency, kind="stale", stale_source="leads", channels=EMAIL)
    (alert,) = alerts_evaluate().fired
    assert alert.agency_rule_id == rule.pk
    assert http_as(world.owner).delete(f"{DEFAULTS}{rule.pk}/").status_code == 204
    outcome = alerts_evaluate()
    assert [a.pk for a in outcome.closed] == [alert.pk] and outcome.deliveries == []
    assert Alert.objects.get(pk=alert.pk).state == "resolved"
