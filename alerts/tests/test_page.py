"""The alerts page: open alerts with their numbers in French, rules, a manager's form with the rule's
field errors, viewers read only, the navigation's link."""

from alerts.models import Alert, AlertRule

PAGE = "/c/alpha/alerts/"


def test_the_page_lists_open_alerts_with_numbers_and_the_rules(http_as, world, in_alpha):
    rule = AlertRule.objects.create(
        kind="status_red", kpi="cost_per_lead", channels=[{"type": "email", "to": "a@b.test"}]
    )
    Alert.objects.create(
        rule=rule,
        rule_ref=f"c:{rule.pk}",
        kind="status_red",
        subject="cost_per_lead",
        kpi="cost_per_lead",
        period="month:2026-11-01",
        details={"value": 1234.5, "target": 1000.0, "period_kind": "month", "start": "2026-11-01"},
    )
    page = http_as(world.viewer_alpha).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="alerts-link"' in html
    assert "1\u202f234,50\xa0€" in html or "1 234,50 €" in html.replace("\u202f", " ").replace("\xa0", " ")
    assert "novembre 2026" in html
    assert 'data-testid="alert-rule-form"' not in html  # viewers read
    assert http_as(world.viewer_alpha).post(PAGE, {"kind": "anomaly"}).status_code == 403


def test_a_manager_adds_a_rule_or_reads_its_errors(http_as, world, in_alpha):
    browser = http_as(world.manager_alpha)
    refused = browser.post(PAGE, {"action": "create", "kind": "pacing", "threshold": "0", "emails": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'data-testid="channel-errors"' in html and html.count('class="error"') == 2  # channels, threshold
    saved = browser.post(
        PAGE,
        {
            "action": "create",
            "kind": "pacing",
            "kpi": "leads",
            "threshold": "80",
            "emails": "ops@alpha.test\nboss@alpha.test",
        },
    )
    assert saved.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.kind, rule.threshold, [c["to"] for c in rule.channels]) == (
        "pacing",
        80,
        ["ops@alpha.test", "boss@alpha.test"],
    )
    assert browser.post(PAGE, {"action": "delete", "rule": str(rule.pk)}).status_code == 302
    assert not AlertRule.objects.exists()


def test_another_clients_user_gets_404(http_as, world, in_alpha):
    assert http_as(world.viewer_beta).get(PAGE).status_code == 404


def test_agency_people_set_a_default_for_all_their_clients_managers_cannot(http_as, world, in_alpha):
    from portfolio.models import AgencyAlertRule

    body = {"action": "create", "kind": "anomaly", "emails": "agency@agence.test", "for_agency": "1"}
    assert http_as(world.staff).post(PAGE, body).status_code == 302
    default = AgencyAlertRule.objects.get()
    assert (default.agency, default.kind) == (world.agency, "anomaly") and not AlertRule.objects.exists()
    assert "agency@agence.test" not in http_as(world.viewer_alpha).get(PAGE).content.decode()  # types only
    # a client's manager asking the same gets a rule of the client only
    assert http_as(world.manager_alpha).post(PAGE, body).status_code == 302
    assert AgencyAlertRule.objects.count() == 1 and AlertRule.objects.count() == 1
    assert http_as(world.manager_alpha).post(PAGE, {"action": "delete-default", "rule": default.pk}).status_code == 403
    assert http_as(world.owner).post(PAGE, {"action": "delete-default", "rule": default.pk}).status_code == 302
    assert not AgencyAlertRule.objects.exists()
