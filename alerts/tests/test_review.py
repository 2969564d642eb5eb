"""What the review of issue 16 found in alerts, each held by a test that failed before its fix:
addresses that carry a private IPv4 inside IPv6 (6to4), a bounded backoff, a duplicate task that
never attempts before its due time, one notice per channel when a client's rule and its agency's
default find the same thing, Slack and Teams text escaped, duplicate channels, bounded rule fields."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from alerts.deliveries import MAX_BACKOFF_SECONDS, backoff_seconds, delivery_attempt, slack_body, teams_body
from alerts.evaluate import alerts_evaluate
from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.notices import Notice
from alerts.rules import rule_clean
from config.outbound import webhook_url_checked
from portfolio.models import AgencyAlertRule
from tests.receivers import http_receiver

EMAIL = [{"type": "email", "to": "ops@alpha.test"}]
RULES = "/c/alpha/api/v1/alerts/rules/"


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/x",  # 6to4 of 127.0.0.1
        "http://[2002:a00:1::1]/x",  # 6to4 of 10.0.0.1
        "http://[2002:c0a8:101::]/x",  # 6to4 of 192.168.1.1
        "http://[64:ff9b::7f00:1]/x",  # NAT64 of 127.0.0.1
        "http://[::ffff:127.0.0.1]/x",
        "http://[::127.0.0.1]/x",
        "http://[::1]/x",
        "http://[fd00::1]/x",
        "http://[fe80::1]/x",
        "http://0.0.0.0/x",
        "http://2130706433/x",  # 127.0.0.1 in decimal
        "http://0177.0.0.1/x",  # in octal
        "http://0x7f.1/x",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_private_addresses_in_every_spelling_are_refused(url):
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=False), pytest.raises(ValidationError):
        webhook_url_checked(url)


def test_the_backoff_is_exponential_and_bounded():
    with override_settings(POULS_ALERT_RETRY_BASE=30):
        assert [backoff_seconds(n) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
        assert backoff_seconds(9) == MAX_BACKOFF_SECONDS and backoff_seconds(10_000) == MAX_BACKOFF_SECONDS


def _alert(**fields) -> Alert:
    return Alert.objects.create(
        rule_ref="a:1", agency_rule_id=1, kind="status_red", subject="leads", kpi="leads", period="month:2026-11-01"
    )


def test_a_second_task_never_attempts_before_the_backoff_is_over(in_alpha):
    with http_receiver(statuses=[500, 200]) as receiver:
        channel = {"type": "webhook", "url": f"{receiver.base_url}/hook", "secret": "x" * 20}
        delivery = AlertDelivery.objects.create(alert=_alert(), channel_index=0, channel=channel, event="fired")
        assert delivery_attempt(delivery.pk) == "retry"
        # the sweep (or a broker's redelivery) sends another task while the first waits its backoff
        assert delivery_attempt(delivery.pk) == "early"
        assert len(receiver.requests) == 1
        AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        assert delivery_attempt(delivery.pk) == "sent"
        assert delivery_attempt(delivery.pk) == "done"
        assert len(receiver.requests) == 2


def test_a_client_rule_and_its_agency_default_notify_each_channel_once(world, in_alpha):
    default = AgencyAlertRule.objects.create(agency=world.agency, kind="stale", stale_source="leads", channels=EMAIL)
    try:
        mine = AlertRule.objects.create(
            kind="stale", stale_source="leads", channels=[*EMAIL, {"type": "email", "to": "me@alpha.test"}]
        )
        outcome = alerts_evaluate()
        assert len(outcome.fired) == 2  # both rules hold their alert
        sent = sorted(d.channel["to"] for d in AlertDelivery.objects.all())
        assert sent == ["me@alpha.test", "ops@alpha.test"]
        # a rule added later that finds the same thing does not notify the same address again
        AlertRule.objects.create(kind="stale", stale_source="leads", channels=EMAIL)
        later = alerts_evaluate()
        assert len(later.fired) == 1 and later.deliveries == []
        # nor does anything fire twice when the refresh runs again
        assert alerts_evaluate().fired == []
        assert Alert.objects.filter(rule=mine).count() == 1
    finally:
        default.delete()


def test_slack_and_teams_text_is_escaped():
    notice = Notice(
        title="Anomaly: leads (A <b>&</b> B)",
        lines=["Note: <!channel> see <https://evil.test|your bank>"],
        link="https://pouls.test/c/alpha/alerts/",
        client="A|B <x>",
    )
    slack = slack_body(notice).decode()
    assert "<!channel>" not in slack and "&lt;!channel&gt;" in slack and "<https://evil.test" not in slack
    assert "<https://pouls.test/c/alpha/alerts/|A¦B &lt;x&gt;>" in slack
    teams = json.loads(teams_body(notice, recovered=False))  # its summary is plain text: left as is
    assert "<b>" not in teams["title"] and "&lt;!channel&gt;" in teams["text"]


def test_the_same_channel_twice_is_kept_once():
    cleaned = rule_clean({"kind": "anomaly", "channels": [*EMAIL, {"type": "email", "to": "OPS@alpha.test"}]})
    assert cleaned["channels"] == EMAIL


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "status_red", "dimension": "channel", "key": "k" * 301, "channels": EMAIL}, "key"),
        ({"kind": "pacing", "threshold": True, "channels": EMAIL}, "threshold"),
        ({"kind": "stale", "stale_days": 366, "channels": EMAIL}, "stale_days"),
        ({"kind": "pacing", "threshold": 201, "channels": EMAIL}, "threshold"),
        (
            {"kind": "status_red", "channels": [{"type": "webhook", "url": "http://127.0.0.1:9/h", "secret": 5}]},
            "channels",
        ),
        ({"kind": "status_red", "channels": [{"type": "slack", "url": "http://127.0.0.1/…abcd"}]}, "channels"),
    ],
)
def test_bad_rule_fields_are_400_not_500(http_as, world, in_alpha, body, field):
    answer = http_as(world.manager_alpha).post(RULES, body, content_type="application/json")
    assert answer.status_code == 400 and field in answer.json(), answer.content
    assert not AlertRule.objects.exists()


def test_a_rule_changed_to_another_kpi_closes_its_alert_quietly(in_alpha):
    from datetime import UTC, date, datetime

    from kpis.models import Snapshot

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    Snapshot.objects.create(
        kpi="leads",
        period="month",
        start=date(2026, 11, 1),
        value=12.0,
        target=40.0,
        status="red",
        as_of=now,
        definition_version=1,
    )
    rule = AlertRule.objects.create(kind="status_red", kpi="leads", channels=EMAIL)
    (alert,) = alerts_evaluate(now=now).fired
    rule.kpi = "mqls"  # leads is still red: nothing recovered
    rule.save()
    outcome = alerts_evaluate(now=now)
    assert outcome.recovered == [] and [a.pk for a in outcome.closed] == [alert.pk] and outcome.deliveries == []
    assert AlertDelivery.objects.filter(event="recovered").count() == 0


def test_a_failed_import_leaving_the_window_is_closed_not_recovered(in_alpha):
    rule = AlertRule.objects.create(kind="stale", stale_source="import_failed", stale_days=3, channels=EMAIL)
    alert = Alert.objects.create(
        rule=rule,
        rule_ref=f"c:{rule.pk}",
        kind="stale",
        subject="import:1",
        period="import:1",
        details={"source": "import_failed", "job": 1},
    )
    outcome = alerts_evaluate()
    assert outcome.recovered == [] and [a.pk for a in outcome.closed] == [alert.pk]
    assert not AlertDelivery.objects.exists()


def test_a_stale_rule_switched_to_another_source_closes_its_alert_quietly(in_alpha):
    rule = AlertRule.objects.create(kind="stale", stale_source="leads", stale_days=2, channels=EMAIL)
    (alert,) = alerts_evaluate().fired
    # the rule now watches another source: the leads alert is closed quietly
    rule.stale_source = "visits"
    rule.save()
    outcome = alerts_evaluate()
    assert alert.pk in [a.pk for a in outcome.closed] and outcome.recovered == []


def test_huge_ids_are_404_not_500(http_as, world, in_alpha):
    huge = "9" * 30
    manager = http_as(world.manager_alpha)
    assert manager.get(f"{RULES}{huge}/").status_code == 404
    assert manager.get(f"/c/alpha/api/v1/alerts/{huge}/").status_code == 404
    assert http_as(world.owner).get(f"/api/v1/alert-defaults/{huge}/").status_code == 404


def test_a_pacing_notice_speaks_money_in_the_clients_currency(in_alpha):
    from django.utils import translation

    from alerts.notices import notice_for

    alert = Alert.objects.create(
        rule_ref="a:1",
        agency_rule_id=1,
        kind="pacing",
        subject="spend",
        kpi="spend",
        period="month:2026-12-01",
        details={
            "pacing": 0.5,
            "expected": 2469.0,
            "actual": 1234.56,
            "projected": 3000.0,
            "month_target": 6000.0,
            "threshold": 90,
            "period_kind": "month",
            "start": "2026-12-01",
        },
    )
    with translation.override("fr"):
        lines = " ".join(notice_for(alert, "fired", "fr").lines).replace("\u202f", " ").replace("\xa0", " ")
    assert "1 234,56 €" in lines and "2 469,00 €" in lines and "6 000,00 €" in lines and "décembre 2026" in lines
    with translation.override("en"):
        english = " ".join(notice_for(alert, "fired", "en").lines)
    assert "€1,234.56" in english and "December 2026" in english


def test_a_receiver_dripping_its_answer_is_cut_at_the_total_deadline(monkeypatch):
    import socket
    import threading

    from config import outbound

    finished = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))

    def drip():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(300):  # a byte every 0.05 s: each read is quick, the whole is not
                    connection.sendall(b"a")
                    threading.Event().wait(0.05)
                connection.sendall(b"\r\nContent-Length: 0\r\n\r\n")
                finished.set()
            except OSError:
                pass

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.5)
    port = server.getsockname()[1]
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=True):
        result = outbound.post_json(f"http://127.0.0.1:{port}/hook", b"{}", {})
    assert not result.ok and result.status is None and "too long" in result.error
    assert not finished.is_set()  # cut while the receiver was still dripping
    server.close()


@pytest.mark.parametrize("field", ["kind", "kpi", "dimension", "key", "stale_source"])
def test_the_rule_refuses_non_text_fields_with_a_field_error(field, in_alpha):
    data = {"kind": "anomaly", "channels": EMAIL, field: {"not": "text"}}
    with pytest.raises(ValidationError) as refused:
        rule_clean(data)
    assert field in refused.value.message_dict


def test_late_data_during_a_silence_keeps_one_alert_no_daily_storm(in_alpha):
    from leads.models import Lead

    now = timezone.now()
    AlertRule.objects.create(kind="stale", stale_source="leads", stale_days=3, channels=EMAIL)
    Lead.objects.create(email="old@alpha.test", created_at=now - timedelta(days=10))
    (alert,) = alerts_evaluate(now=now).fired
    # each day, leads of four days before are imported: the last day moves, the silence goes on
    for day in range(1, 4):
        Lead.objects.create(email=f"late{day}@alpha.test", created_at=now - timedelta(days=6 - day))
        outcome = alerts_evaluate(now=now + timedelta(days=day))
        assert (outcome.fired, outcome.recovered, outcome.deliveries) == ([], [], [])
    assert list(Alert.objects.values_list("pk", "state")) == [(alert.pk, "open")]
    # activity comes back: one recovery
    Lead.objects.create(email="today@alpha.test", created_at=now + timedelta(days=3))
    assert [a.pk for a in alerts_evaluate(now=now + timedelta(days=3)).recovered] == [alert.pk]


def test_the_page_shows_a_bounded_number_of_open_alerts_in_fixed_queries(
    http_as, world, in_alpha, django_assert_max_num_queries, monkeypatch
):
    from alerts import views

    monkeypatch.setattr(views, "OPEN_SHOWN", 5)
    rule = AlertRule.objects.create(kind="status_red", kpi="leads", dimension="channel", channels=EMAIL)

    def opened(first, count):
        Alert.objects.bulk_create(
            Alert(
                rule=rule,
                rule_ref=f"c:{rule.pk}",
                kind="status_red",
                subject=f"leads|channel|k{i}",
                kpi="leads",
                dimension="channel",
                key=f"k{i}",
                period="month:2026-11-01",
                details={"value": 1.0, "target": 2.0, "period_kind": "month", "start": "2026-11-01"},
            )
            for i in range(first, first + count)
        )

    browser = http_as(world.viewer_alpha)
    browser.get("/c/alpha/alerts/")  # the session and the user, once
    opened(0, 2)
    with django_assert_max_num_queries(11) as few:
        assert browser.get("/c/alpha/alerts/").status_code == 200
    opened(2, 30)
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the count of all open alerts
        page = browser.get("/c/alpha/alerts/").content.decode()
    assert page.count("<li><strong>") == 5  # one per open alert shown
    assert 'data-testid="open-alerts-more"' in page and "32" in page


def test_a_delivery_error_never_records_a_credential(in_alpha):
    from alerts.deliveries import error_scrubbed

    slack = {"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/SLACKTOKENabcd"}
    pinned = "ConnectError: POST https://1.2.3.4/services/T0/B0/SLACKTOKENabcd failed"
    assert "SLACKTOKEN" not in error_scrubbed(pinned, slack)
    assert "SLACKTOKEN" not in error_scrubbed(f"failed: {slack['url']}", slack)
    hook = {"type": "webhook", "url": "https://example.com/h", "secret": "s3cret-long-enough-for-hmac"}
    assert error_scrubbed("bad key s3cret-long-enough-for-hmac", hook) == "bad key …hmac"
    # through an attempt whose send fails with such a text
    with http_receiver(statuses=[200]) as receiver:
        channel = {"type": "teams", "url": f"{receiver.base_url}/webhookb2/TEAMSTOKENwxyz"}
        delivery = AlertDelivery.objects.create(alert=_alert(), channel_index=0, channel=channel, event="fired")
        with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=False):  # refused: the error names no URL anyway
            delivery_attempt(delivery.pk)
        delivery.refresh_from_db()
        assert "TEAMSTOKEN" not in delivery.last_error and "TEAMSTOKEN" not in str(delivery.log)


def test_a_patch_to_stale_refuses_a_rule_kept_on_a_dimension(http_as, world, in_alpha):
    rule = AlertRule.objects.create(kind="status_red", dimension="channel", channels=EMAIL)
    answer = http_as(world.manager_alpha).patch(
        f"{RULES}{rule.pk}/", {"kind": "stale"}, content_type="application/json"
    )
    assert answer.status_code == 400 and "kpi" in answer.json()
    rule.refresh_from_db()
    assert rule.kind == "status_red"
    fixed = {"kind": "stale", "dimension": ""}
    assert (
        http_as(world.manager_alpha).patch(f"{RULES}{rule.pk}/", fixed, content_type="application/json").status_code
        == 200
    )
