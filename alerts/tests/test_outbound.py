"""Outgoing webhooks refuse private and loopback addresses without POULS_WEBHOOK_ALLOW_PRIVATE: when
a rule is saved (field errors) and again when a notice is sent (a real receiver gets nothing)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from alerts.deliveries import delivery_attempt
from alerts.models import Alert, AlertDelivery
from alerts.rules import rule_clean
from config.outbound import post_json, webhook_url_checked
from tests.receivers import http_receiver

PRIVATE = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://10.0.0.8/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_addresses_are_refused_without_the_setting(url):
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=False), pytest.raises(ValidationError) as refused:
        webhook_url_checked(url)
    assert refused.value.code == "private"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://user:pw@example.com/", "http://" + "a" * 2001])
def test_other_urls_are_refused(url):
    with pytest.raises(ValidationError):
        webhook_url_checked(url)


def test_loopback_is_allowed_with_the_setting():
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=True):
        assert webhook_url_checked("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"


def test_a_rule_with_a_private_webhook_gets_a_field_error():
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=False), pytest.raises(ValidationError) as refused:
        rule_clean({"kind": "status_red", "channels": [{"type": "slack", "url": "http://127.0.0.1/x"}]})
    assert list(refused.value.message_dict) == ["channels"]


def test_post_json_reaches_the_checked_address_and_sends_the_host_name():
    with http_receiver() as receiver:
        port = receiver.base_url.rsplit(":", 1)[1]
        result = post_json(f"http://localhost:{port}/in?x=1", b'{"a":1}', {"X-Test": "1"})
        assert result.ok and result.status == 200
        (request,) = receiver.requests
        assert (request.path, request.body, request.headers["host"]) == ("/in?x=1", b'{"a":1}', f"localhost:{port}")
        assert request.headers["x-test"] == "1"


def test_redirects_are_not_followed():
    with http_receiver(statuses=[302]) as receiver:
        result = post_json(f"{receiver.base_url}/x", b"{}", {})
        assert not result.ok and result.status == 302 and len(receiver.requests) == 1


def test_a_delivery_to_a_private_address_is_refused_at_send_time(in_alpha):
    with http_receiver() as receiver:
        alert = Alert.objects.create(
            rule_ref="a:1",
            agency_rule_id=1,
            kind="status_red",
            subject="leads",
            kpi="leads",
            period="month:2026-11-01",
            details={"value": 1.0},
        )
        channel = {"type": "webhook", "url": f"{receiver.base_url}/hook", "secret": "x" * 20}
        delivery = AlertDelivery.objects.create(alert=alert, channel_index=0, channel=channel, event="fired")
        # saved while allowed (or DNS changed since): the send checks again
        with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=False), translation.override("en"):
            assert delivery_attempt(delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert receiver.requests == []
        assert delivery.attempts == 1 and "private" in delivery.last_error.lower()
        # not before its backoff is over
        assert delivery_attempt(delivery.pk) == "early"
        AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
        # allowed again: the next attempt goes through, signed
        assert delivery_attempt(delivery.pk) == "sent"
        assert receiver.requests[0].headers["x-pouls-signature"].startswith("sha256=")
        assert delivery_attempt(delivery.pk) == "done"
        assert len(receiver.requests) == 1
