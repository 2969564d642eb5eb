"""Credentials in alert channels (a webhook's secret, a Slack or Teams incoming-webhook URL) never
leave Pouls in full on a read path: the API for every role, the alerts page, the tenant admin and the
platform admin; a masked value sent back unchanged keeps the stored credential."""

import json

from django.test import override_settings

from alerts.models import AlertRule
from alerts.rules import channels_public
from portfolio.models import AgencyAlertRule

RULES = "/c/alpha/api/v1/alerts/rules/"
SECRET = "s3cret-long-enough-for-hmac"
SLACK = "http://127.0.0.1:9/services/T0/B0/SLACKTOKENabcd"
TEAMS = "http://127.0.0.1:9/webhookb2/TEAMSTOKENwxyz"
HIDDEN = ("s3cret-long", "SLACKTOKEN", "TEAMSTOKEN")
CHANNELS = [
    {"type": "webhook", "url": "http://127.0.0.1:9/h", "secret": SECRET},
    {"type": "slack", "url": SLACK},
    {"type": "teams", "url": TEAMS},
    {"type": "email", "to": "ops@alpha.test"},
]


def _clean(content: bytes) -> bool:
    text = content.decode()
    return not any(hidden in text for hidden in HIDDEN)


def test_the_masked_forms():
    shown = channels_public(CHANNELS)
    assert shown[0] == {"type": "webhook", "url": "http://127.0.0.1:9/h", "secret": "…hmac"}
    assert shown[1] == {"type": "slack", "url": "http://127.0.0.1/…abcd"}
    assert shown[2] == {"type": "teams", "url": "http://127.0.0.1/…wxyz"}
    assert shown[3] == CHANNELS[3]


def test_no_role_reads_a_credential_through_the_api(http_as, world, in_alpha):
    rule = AlertRule.objects.create(kind="status_red", channels=CHANNELS)
    for user in (world.viewer_alpha, world.sales_alpha, world.manager_alpha, world.staff, world.owner):
        browser = http_as(user)
        for path in (RULES, f"{RULES}{rule.pk}/"):
            answer = browser.get(path)
            assert answer.status_code == 200 and _clean(answer.content), (user, path, answer.content)
    # a write answers with the rule: masked too
    patched = http_as(world.manager_alpha).patch(
        f"{RULES}{rule.pk}/", {"kpi": "leads"}, content_type="application/json"
    )
    assert patched.status_code == 200 and _clean(patched.content)


def test_sending_the_masked_channels_back_keeps_the_credentials(http_as, world, in_alpha):
    rule = AlertRule.objects.create(kind="status_red", channels=CHANNELS)
    manager = http_as(world.manager_alpha)
    shown = manager.get(f"{RULES}{rule.pk}/").json()["channels"]
    patched = manager.patch(f"{RULES}{rule.pk}/", {"channels": shown}, content_type="application/json")
    assert patched.status_code == 200, patched.content
    rule.refresh_from_db()
    assert rule.channels == CHANNELS
    # a masked URL of another kind is no URL at all: refused, not matched
    other = [{"type": "teams", "url": shown[1]["url"]}]
    refused = manager.patch(f"{RULES}{rule.pk}/", {"channels": other}, content_type="application/json")
    assert refused.status_code == 400 and "channels" in refused.json()
    # a new Slack URL replaces the old one
    new = [{**shown[0]}, {"type": "slack", "url": "http://127.0.0.1:9/services/NEW"}]
    assert (
        manager.put(
            f"{RULES}{rule.pk}/", {"kind": "status_red", "channels": new}, content_type="application/json"
        ).status_code
        == 200
    )
    rule.refresh_from_db()
    assert rule.channels == [CHANNELS[0], {"type": "slack", "url": "http://127.0.0.1:9/services/NEW"}]


def test_the_page_and_the_tenant_admin_show_no_credential(http_as, world, in_alpha):
    rule = AlertRule.objects.create(kind="status_red", channels=CHANNELS)
    manager = http_as(world.manager_alpha)
    page = manager.get("/c/alpha/alerts/")
    assert page.status_code == 200 and _clean(page.content)
    change = f"/c/alpha/admin/alerts/alertrule/{rule.pk}/change/"
    form = manager.get(change)
    assert form.status_code == 200 and _clean(form.content) and "…abcd" in form.content.decode()
    # saved back as shown: the credentials stay
    shown = json.dumps(channels_public(CHANNELS))
    data = {"kind": "anomaly", "kpi": "", "dimension": "", "key": "", "threshold": 90, "stale_days": 3}
    saved = manager.post(change, {**data, "stale_source": "any", "channels": shown, "active": "on"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    rule.refresh_from_db()
    assert (rule.kind, rule.channels) == ("anomaly", CHANNELS)


def test_the_platform_admin_shows_no_credential(http_as, world, django_user_model):
    default = AgencyAlertRule.objects.create(agency=world.agency, kind="anomaly", channels=CHANNELS)
    root = django_user_model.objects.create_superuser(email="root@platform.test", password="x")
    change = f"/admin/portfolio/agencyalertrule/{default.pk}/change/"
    form = http_as(root).get(change)
    assert form.status_code == 200 and _clean(form.content)
    data = {"agency": world.agency.pk, "kind": "anomaly", "threshold": 90, "stale_days": 3, "stale_source": "any"}
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=True):
        saved = http_as(root).post(change, {**data, "channels": json.dumps(channels_public(CHANNELS)), "active": "on"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    default.refresh_from_db()
    assert default.channels == CHANNELS
    # a view-only staff user sees the masked channels, read-only
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user(email="look@platform.test", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_agencyalertrule"))
    shown = http_as(viewer).get(change)
    assert shown.status_code == 200 and _clean(shown.content) and "…hmac" in shown.content.decode()
