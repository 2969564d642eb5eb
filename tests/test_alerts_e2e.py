"""Alerts end to end, with a real worker, a real SMTP server and real HTTP receivers on loopback: a
refresh that turns a KPI red fires its rule once (a signed webhook, a Slack message and an email,
the webhook after a 500 and a retry), a second refresh in the same period fires nothing, and the
refresh after the data recovers sends the recovery notices."""

import hashlib
import hmac
import json
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.tasks import alerts_evaluate_task
from config.celery import app
from kpis.models import Objective
from kpis.tasks import kpi_snapshot_refresh_task
from leads.models import Lead
from tenants.zones import client_zone
from tests.processes import start_worker, stop, wait_for
from tests.receivers import http_receiver, smtp_inbox

pytestmark = pytest.mark.worker

SECRET = "a-long-enough-shared-secret"


@pytest.fixture
def outside():
    """A real SMTP server and two HTTP receivers: the generic webhook answers 500 once, then 200."""
    with smtp_inbox() as inbox, http_receiver(statuses=[500, 200]) as hook, http_receiver() as slack:
        yield inbox, hook, slack


@pytest.fixture
def worker(committed, outside, tmp_path):
    inbox = outside[0]
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    process = start_worker(
        queue,
        tmp_path / "worker.log",
        env={"CELERY_TASK_DEFAULT_QUEUE": queue, "EMAIL_URL": inbox.url, "POULS_ALERT_RETRY_BASE": "1"},
    )
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous
    stop(process)


def _last_month_day(client) -> datetime:
    today = timezone.now().astimezone(client_zone(client)).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return datetime.combine(first + timedelta(days=9), time(10), tzinfo=client_zone(client))


def _leads(client, count: int, prefix: str) -> None:
    at = _last_month_day(client)
    with tenant_context(client):
        Lead.objects.bulk_create(Lead(email=f"{prefix}{i}@alpha.test", created_at=at) for i in range(count))


def _refresh(client, queue, *, full=False, barrier=False) -> None:
    """A refresh in the worker (which queues the evaluation itself once it commits). With ``barrier``,
    an evaluation sent after it: the worker runs one task at a time in order, so when that one
    answers, the evaluation the refresh queued has run too."""
    with tenant_context(client):
        kpi_snapshot_refresh_task.apply_async(kwargs={"full": full}, queue=queue).get(timeout=90)
        if barrier:
            alerts_evaluate_task.apply_async(queue=queue).get(timeout=60)


def _verified(request) -> dict:
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-pouls-signature"] == expected
    return json.loads(request.body)


def test_a_red_status_alerts_once_by_webhook_slack_and_email_then_recovers(committed, outside, worker):
    inbox, hook, slack = outside
    alpha = committed.alpha
    _leads(alpha, 3, "first")
    with tenant_context(alpha):
        Objective.objects.create(kpi="leads", period="month", target=10)
        rule = AlertRule.objects.create(
            kind="status_red",
            kpi="leads",
            channels=[
                {"type": "webhook", "url": f"{hook.base_url}/pouls", "secret": SECRET},
                {"type": "slack", "url": f"{slack.base_url}/slack"},
                {"type": "email", "to": "ops@alpha.test"},
            ],
        )
    try:
        # when the refresh finds last month's 3 leads against a target of 10 (red)
        _refresh(alpha, worker, full=True)
        # then the webhook is posted (a 500, then the retry after the backoff), signed, with the numbers
        assert wait_for(lambda: len(hook.requests) == 2, timeout=60)
        first, retried = hook.requests
        assert first.headers["x-pouls-delivery"] == retried.headers["x-pouls-delivery"]
        assert retried.headers["x-pouls-event"] == "alert.fired"
        body = _verified(retried)
        assert body["event"] == "alert.fired" and body["client"]["slug"] == "alpha"
        assert (body["alert"]["kpi"], body["alert"]["state"]) == ("leads", "open")
        assert (body["alert"]["details"]["value"], body["alert"]["details"]["target"]) == (3.0, 10.0)
        assert wait_for(lambda: len(slack.requests) == 1 and len(inbox.to("ops@alpha.test")) == 1, timeout=30)
        assert "text" in json.loads(slack.requests[0].body) and "blocks" in json.loads(slack.requests[0].body)
        mail = inbox.to("ops@alpha.test")[0]
        assert "Alpha SAS" in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()
        assert "/c/alpha/alerts/" in text and "3" in text
        assert mail.get_body(("html",)) is not None
        with tenant_context(alpha):
            delivery = AlertDelivery.objects.get(channel_index=0)
            assert (delivery.status, delivery.attempts) == ("sent", 2)
            assert [entry["status_code"] for entry in delivery.log] == [500, 200]

        # when a second refresh finds the same red status in the same period: nothing more
        _leads(alpha, 1, "second")
        _refresh(alpha, worker, barrier=True)
        with tenant_context(alpha):
            assert Alert.objects.count() == 1 and Alert.objects.get().state == "open"
            assert AlertDelivery.objects.count() == 3
        assert len(hook.requests) == 2 and len(slack.requests) == 1 and len(inbox.to("ops@alpha.test")) == 1

        # when last month's leads reach the target, the next refresh resolves it and says so
        _leads(alpha, 10, "third")
        _refresh(alpha, worker)
        assert wait_for(lambda: len(hook.requests) == 3 and len(inbox.to("ops@alpha.test")) == 2, timeout=30)
        recovered = _verified(hook.requests[2])
        assert hook.requests[2].headers["x-pouls-event"] == "alert.recovered"
        assert (recovered["event"], recovered["alert"]["state"]) == ("alert.recovered", "resolved")
        with tenant_context(alpha):
            assert Alert.objects.get().state == "resolved"
        # and beta, refreshed too, has no alert of alpha's
        _refresh(committed.beta, worker, full=True, barrier=True)
        with tenant_context(committed.beta):
            assert not Alert.objects.exists()
    finally:
        with tenant_context(alpha):
            rule.delete()
