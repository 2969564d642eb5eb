"""Dates are bounded at every edge (issue 11): a fact or a lead dated before 2000-01-01 or more than a
year after today is refused by the API (400 on the field), imports (a line error), the admin (a form
error), tracking and the capture endpoint, and dropped from email providers' webhooks; 2000-01-01 and
today pass. One rule (``config.dates``), so one message everywhere."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, EventType
from django.utils import timezone, translation

from campaigns.email_tracking import email_event_record
from campaigns.imports.runner import import_check
from campaigns.models import Campaign, CTAStat, EmailEvent, EmailSend, KeywordStat, Spend, TrackingEvent, Traffic
from campaigns.tests.factories import CampaignFactory, CTAFactory, EmailSendFactory
from campaigns.tests.import_words import line_error_in
from config.dates import EARLIEST, latest_date
from leads.models import Lead, StageTransition
from leads.tests.factories import CaptureFormFactory, LeadFactory

API = "/c/alpha/api/v1"
ADMIN = "/c/alpha/admin"


def _today() -> date:
    # A day every zone has reached (UTC's, never ahead of Paris): accepted on every path at any hour.
    return timezone.now().date()


def _refused() -> list[str]:
    """Year 1 (the value that took a refresh to 10 GB), the day before the bound, two years ahead."""
    return ["0001-01-01", "1999-12-31", (_today() + timedelta(days=730)).isoformat()]


def _accepted() -> list[str]:
    return ["2000-01-01", _today().isoformat()]


def _message() -> str:
    """The refusal in French, the language of the agency's people here (the `world` agency speaks French)."""
    return f"Saisissez une date comprise entre le {EARLIEST.isoformat()} et le {latest_date().isoformat()}."


@pytest.fixture
def alpha(in_alpha):
    """The test runs in alpha, which has a campaign and a CTA to date facts of."""
    CampaignFactory(key="spring")
    CTAFactory(key="download")
    return in_alpha


@pytest.fixture
def api(http_as, world, alpha):
    return http_as(world.manager_alpha)


# Each fact endpoint: a body for a date, and the field that carries it.
FACTS = {
    "spend": (lambda day, i: {"date": day, "campaign": "spring", "amount": "10.00"}, "date"),
    "traffic": (lambda day, i: {"date": day, "channel": "paid_search", "visits": 3}, "date"),
    "cta-stats": (lambda day, i: {"date": day, "cta": "download", "views": 3, "clicks": 1}, "date"),
    "keyword-stats": (
        lambda day, i: {"date": day, "keyword": "velo", "channel": "organic_search", "visits": 3},
        "date",
    ),
    "email-sends": (lambda day, i: {"key": f"send-{i}", "sent_at": f"{day}T09:00:00Z"}, "sent_at"),
    # midnight UTC: today's is already past, whatever the hour of the run
    "leads": (lambda day, i: {"email": f"lead{i}@x.test", "created_at": f"{day}T00:00:00Z"}, "created_at"),
}


@pytest.mark.parametrize("path", FACTS)
def test_every_fact_endpoint_refuses_a_date_out_of_bounds_and_takes_the_bounds(api, alpha, path):
    body, field = FACTS[path]
    for i, day in enumerate(_refused()):
        response = api.post(f"{API}/{path}/", body(day, i), content_type="application/json")
        assert response.status_code == 400, (day, response.content)
        assert field in response.json(), (day, response.json())
        if day != "0001-01-01":  # year 1 with an offset may already fail as a datetime
            assert response.json()[field] == [_message()]
    for i, day in enumerate(_accepted(), start=10):
        response = api.post(f"{API}/{path}/", body(day, i), content_type="application/json")
        assert response.status_code == 201, (day, response.content)
    model = {
        "spend": Spend,
        "traffic": Traffic,
        "cta-stats": CTAStat,
        "keyword-stats": KeywordStat,
        "email-sends": EmailSend,
        "leads": Lead,
    }[path]
    assert model.objects.count() == 2


def test_a_stage_move_refuses_an_instant_out_of_bounds(api, alpha):
    lead = LeadFactory(email="old@x.test", created_at=datetime(2000, 1, 1, 9, tzinfo=UTC))
    for day in _refused():
        for path, body in (
            (f"leads/{lead.pk}/move/", {"to": "mql"}),
            ("leads/bulk-move/", {"lead_ids": [lead.pk], "to": "mql"}),
        ):
            response = api.post(f"{API}/{path}", {**body, "at": f"{day}T12:00:00Z"}, content_type="application/json")
            assert response.status_code == 400 and "at" in response.json(), (path, day, response.content)
    refused = api.post(
        f"{API}/leads/{lead.pk}/move/", {"to": "mql", "at": "1999-12-31T12:00:00Z"}, content_type="application/json"
    )
    assert refused.json()["at"] == [_message()]
    # the bounds themselves: the day it was created, and now
    assert (
        api.post(
            f"{API}/leads/{lead.pk}/move/", {"to": "mql", "at": "2000-01-01T12:00:00Z"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert api.post(f"{API}/leads/{lead.pk}/move/", {"to": "sql"}, content_type="application/json").status_code == 200
    moves = StageTransition.objects.filter(lead=lead, kind="moved").order_by("at")
    assert list(moves.values_list("to_stage", flat=True)) == ["mql", "sql"]


# Each import kind with a date: its header, a row for a date, and the column that carries it.
IMPORTS = {
    "spend": ("date,campaign,amount", "{day},spring,10", "date"),
    "traffic": ("date,channel,visits", "{day},paid_search,3", "date"),
    "cta": ("date,cta,views,clicks", "{day},download,3,1", "date"),
    "keywords": ("date,keyword,visits", "{day},velo,3", "date"),
    "emails": (
        "key,sent_at,sent,delivered,unique_opens,unique_clicks,unsubscribes",
        "s{i},{day}T09:00:00,1,1,0,0,0",
        "sent_at",
    ),
    "leads": ("email,created_at", "l{i}@x.test,{day}T09:00:00", "created_at"),
    "leads ": ("email,created_at,stage,mql_at", "m{i}@x.test,2000-01-01T09:00:00,mql,{day}T10:00:00", "mql_at"),
}


@pytest.mark.parametrize("kind", IMPORTS)
def test_every_import_kind_refuses_a_date_out_of_bounds_with_its_line_and_column(alpha, kind):
    header, row, column = IMPORTS[kind]
    days = [*_refused(), *_accepted()]
    if kind == "leads":  # a lead is not created in the future, and today at 09:00 local may still be ahead
        days[-1] = (_today() - timedelta(days=1)).isoformat()
    body = "\n".join([header, *(row.format(day=day, i=i) for i, day in enumerate(days))]) + "\n"
    with translation.override("fr"):
        checked = import_check(kind=kind.strip(), data=body.encode())
        message = _message()
    assert checked.errors == [line_error_in("fr", line, column, message) for line in (2, 3, 4)]
    assert len(checked.valid) == 2


def test_the_admin_refuses_a_fact_and_a_lead_out_of_bounds_with_a_form_error(http_as, world, alpha):
    admin = http_as(world.manager_alpha)
    campaign = Campaign.objects.get(key="spring")
    spend = admin.post(f"{ADMIN}/campaigns/spend/add/", {"date": "1999-12-31", "campaign": campaign.pk, "amount": "10"})
    assert spend.status_code == 200
    spend_errors = spend.context["adminform"].form.errors
    lead = admin.post(
        f"{ADMIN}/leads/lead/add/",
        {"email": "old@x.test", "created_at_0": "1999-12-31", "created_at_1": "09:00:00", "stage": "lead"},
    )
    assert lead.status_code == 200
    lead_errors = lead.context["adminform"].form.errors
    send = admin.post(
        f"{ADMIN}/campaigns/emailsend/add/",
        {
            "key": "m",
            "name": "M",
            "sent_at_0": "0001-01-01",
            "sent_at_1": "09:00",
            "sent": 1,
            "delivered": 1,
            "unique_opens": 0,
            "unique_clicks": 0,
            "unsubscribes": 0,
            "bounces": 0,
            "complaints": 0,
        },
    )
    assert send.status_code == 200 and send.context["adminform"].form.errors.get("sent_at")
    ok = admin.post(f"{ADMIN}/campaigns/spend/add/", {"date": "2000-01-01", "campaign": campaign.pk, "amount": "10"})
    assert ok.status_code == 302
    # and the API and imports say exactly the same
    api = http_as(world.manager_alpha)
    api_spend = api.post(
        f"{API}/spend/", {"date": "1999-12-31", "campaign": "spring", "amount": "1"}, content_type="application/json"
    ).json()["date"]
    api_lead = api.post(
        f"{API}/leads/", {"email": "old@x.test", "created_at": "1999-12-31T09:00:00"}, content_type="application/json"
    ).json()["created_at"]
    with translation.override("fr"):
        spend_line = import_check(kind="spend", data=b"date,campaign,amount\n1999-12-31,spring,1\n").errors
        lead_line = import_check(kind="leads", data=b"email,created_at\nold@x.test,1999-12-31T09:00:00\n").errors
    assert (
        spend_errors["date"]
        == api_spend
        == [spend_line[0].removeprefix(line_error_in("fr", 2, "date", ""))]
        == [_message()]
    )
    assert (
        lead_errors["created_at"] == api_lead == [lead_line[0].removeprefix(line_error_in("fr", 2, "created_at", ""))]
    )
    assert list(Spend.objects.values_list("date", flat=True)) == [date(2000, 1, 1)]
    assert not Lead.objects.exists() and not EmailSend.objects.exists()


def test_the_capture_endpoint_dates_its_leads_now_whatever_the_form_sends(alpha, anonymous):
    CaptureFormFactory(allowed_origins="https://www.alpha.example")
    before = timezone.now()
    response = anonymous.post(
        "/c/alpha/capture/contact/",
        {"email": "a@x.test", "created_at": "0001-01-01"},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.1",
    )
    assert response.status_code == 201, response.content
    [lead] = Lead.objects.all()
    assert before <= lead.created_at <= timezone.now()


def _event(at: str) -> dict:
    return {"id": str(uuid.uuid4()), "type": "visit", "session": "s1", "url": "https://www.alpha.example/", "at": at}


def test_a_tracking_event_dated_out_of_bounds_is_refused(alpha, anonymous):
    now = timezone.now()
    for at in ("0001-01-01T00:00:00Z", "1999-12-31T12:00:00Z", (now + timedelta(days=730)).isoformat()):
        response = anonymous.post(
            "/c/alpha/track/",
            json.dumps({"events": [_event(at)]}),
            content_type="text/plain;charset=UTF-8",
            REMOTE_ADDR="192.0.2.7",
        )
        assert response.status_code == 400, (at, response.content)
        assert "events.0.at" in response.json()["errors"]
    # within the bounds, an event's own time is clamped to the server's (a day either way), as before
    ok = anonymous.post(
        "/c/alpha/track/",
        json.dumps({"events": [_event("2000-01-01T12:00:00Z")]}),
        content_type="text/plain;charset=UTF-8",
        REMOTE_ADDR="192.0.2.7",
    )
    assert ok.status_code == 204, ok.content
    [stored] = TrackingEvent.objects.all()
    assert stored.occurred_at >= now - timedelta(days=1, minutes=1)


def test_an_email_provider_event_dated_out_of_bounds_is_dropped_never_stored(alpha):
    EmailSendFactory(key="spring-news", sent_at=timezone.now() - timedelta(days=1), sent=5)

    def event(at: datetime, event_id: str) -> AnymailTrackingEvent:
        return AnymailTrackingEvent(
            event_type=EventType.DELIVERED,
            timestamp=at,
            event_id=event_id,
            recipient="ada@example.com",
            metadata={"pouls_send": "spring-news"},
            esp_event={},
        )

    old = datetime(1999, 12, 31, 12, tzinfo=UTC)
    ahead = timezone.now() + timedelta(days=730)
    assert not email_event_record(provider="sendgrid", event=event(old, "e1"))
    assert not email_event_record(provider="sendgrid", event=event(ahead, "e2"))
    assert not EmailEvent.objects.exists()
    assert EmailSend.objects.get().delivered == 0
    assert email_event_record(provider="sendgrid", event=event(datetime(2000, 1, 1, 12, tzinfo=UTC), "e3"))
    assert EmailSend.objects.get().delivered == 1


def test_an_uploaded_file_with_a_year_one_row_is_rejected_with_its_line(api, alpha):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from campaigns.imports.jobs import import_job_run

    body = b"date,keyword,visits\n2026-01-05,velo,3\n0001-01-01,velo,4\n"
    upload = api.post(f"{API}/imports/", {"kind": "keywords", "file": SimpleUploadedFile("k.csv", body, "text/csv")})
    assert upload.status_code == 202, upload.content
    import_job_run(job_id=upload.json()["id"])
    assert not KeywordStat.objects.exists()
    job = api.get(f"{API}/imports/{upload.json()['id']}/").json()
    assert (job["status"], job["errors"]) == ("rejected", [line_error_in("fr", 3, "date", _message())])


def test_a_sendgrid_event_dated_1999_is_acknowledged_and_dropped(alpha, anonymous):
    from campaigns.tests.test_email_webhooks import PROVIDERS, _hook, _post, _send

    sendgrid = next(p for p in PROVIDERS if p.name == "sendgrid")
    _send(key="spring-news")
    _hook(sendgrid)

    def delivered(event_id: str, at: datetime) -> bytes:
        return json.dumps(
            [
                {
                    "email": "ada@example.com",
                    "timestamp": int(at.timestamp()),
                    "event": "delivered",
                    "sg_event_id": event_id,
                    "pouls_send": "spring-news",
                }
            ]
        ).encode()

    # when SendGrid posts a delivery dated 1999, then one dated 2000-01-01
    old = _post(anonymous, sendgrid, delivered("old", datetime(1999, 12, 31, 12, tzinfo=UTC)))
    after_old = (EmailEvent.objects.count(), EmailSend.objects.get().delivered)
    ok = _post(anonymous, sendgrid, delivered("ok", datetime(2000, 1, 1, 12, tzinfo=UTC)))
    # then both are acknowledged (no retries), the first is never stored and the second counts
    assert (old.status_code, ok.status_code) == (200, 200)
    assert after_old == (0, 0)
    assert list(EmailEvent.objects.values_list("event_id", flat=True)) == ["ok"]
    assert EmailSend.objects.get().delivered == 1
