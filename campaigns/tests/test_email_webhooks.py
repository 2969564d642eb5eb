"""Email providers' tracking webhooks /c/<slug>/webhooks/email/<provider>/tracking/: each client's own
credentials, events counted once per recipient into the email send they name.

Payloads follow the shapes of django-anymail's own webhook tests (SendGrid event batches, Mailgun's
signed JSON events, Brevo's single events, Mailjet's bare or grouped events)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import EmailEvent, EmailProviderHook, EmailRecipientState, EmailSend
from campaigns.tests.factories import EmailSendFactory
from leads.models import Lead, LeadActivity
from leads.tests.factories import LeadFactory
from tenants.models import Client

KEY = "spring-news"
RECIPIENT = "Ada@Example.COM"  # providers echo addresses as sent: counted lower-cased
T0 = 1_767_261_600  # 2026-01-01 10:00 UTC


# --- Provider payloads ---------------------------------------------------------------------------


def _sendgrid(key: str, secret: str, recipient: str = RECIPIENT) -> list[bytes]:
    """One batch, as SendGrid posts them: custom args (our send key) are merged into each event."""

    def event(name: str, event_id: str, at: int, **extra) -> dict:
        return {
            "email": recipient,
            "timestamp": at,
            "event": name,
            "sg_event_id": event_id,
            "sg_message_id": "wrfRRvF7Q0GgwUo2CvDmEA.filter0425p1mdw1.13037.57168B4A1D.0",
            "smtp-id": "<wrfRRvF7Q0GgwUo2CvDmEA@ismtpd0006p1sjc2.sendgrid.net>",
            "category": ["newsletter"],
            "pouls_send": key,
            **extra,
        }

    return [
        json.dumps(
            [
                event("delivered", "nOSv8m0eTQ-vxvwNwt3fZQ", T0, response="250 2.0.0 OK", tls=1, ip="167.89.17.173"),
                event("open", "MjIwNDg5NTgtZGE3OC00NDI1", T0 + 60, useragent="Mozilla/5.0", ip="66.102.6.229"),
                event("open", "MjIwNDg5NTgtZGE3OC00NDI2", T0 + 3600, useragent="Mozilla/5.0", ip="66.102.6.229"),
                event(
                    "click",
                    "OTdlOGUzYjctYjc5Zi00OWE4",
                    T0 + 3660,
                    url="https://www.example.com/offer",
                    url_offset={"index": 0, "type": "html"},
                    useragent="Mozilla/5.0",
                ),
                event("unsubscribe", "ZyjAM5rnQmuI1KFInHQ3Nw", T0 + 7200),
            ]
        ).encode()
    ]


def _mailgun_sign(payload: dict, signing_key: str) -> bytes:
    signature = payload["signature"]
    signature["signature"] = hmac.new(
        signing_key.encode(), f"{signature['timestamp']}{signature['token']}".encode(), hashlib.sha256
    ).hexdigest()
    return json.dumps(payload).encode()


def _mailgun(key: str, secret: str, recipient: str = RECIPIENT) -> list[bytes]:
    """One signed JSON post per event; the signature's token is the event id."""

    def event(name: str, token: str, at: int, **extra) -> bytes:
        return _mailgun_sign(
            {
                "signature": {"timestamp": str(int(time.time())), "token": token},  # signed when sent
                "event-data": {
                    "event": name,
                    "timestamp": at + 0.153125,
                    "id": f"id-{token[:8]}",
                    "recipient": recipient,
                    "tags": ["newsletter"],
                    "user-variables": {"pouls_send": key},
                    "message": {"headers": {"message-id": "20260101100000.1.DF5966851B4BAA99@mg.example.org"}},
                    **extra,
                },
            },
            secret,
        )

    return [
        event(
            "delivered",
            "651869375b9df3c98fc15c4889b102119add1235c38fc92824",
            T0,
            **{"delivery-status": {"code": 250, "message": "OK", "description": ""}},
        ),
        event(
            "opened",
            "7a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a",
            T0 + 60,
            **{"client-info": {"user-agent": "Mozilla/5.0"}},
        ),
        event("opened", "8b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e2f4a6b", T0 + 3600),
        event(
            "clicked", "9c3d5e7f9a1b2c4d6e8f0a2b3c5d7e9f1a3b5c7d9e1f3a5b7c", T0 + 3660, url="https://example.com/offer"
        ),
        event("unsubscribed", "0d4e6f8a0b2c3d5e7f9a1b3c4d6e8f0a2b4c6d8e0f2a4b6c8d", T0 + 7200),
    ]


def _brevo(key: str, secret: str, recipient: str = RECIPIENT) -> list[bytes]:
    """One post per event, no event id (counted once by a hash of the raw event); the send key
    travels as a tag."""

    def event(name: str, at: int, **extra) -> bytes:
        return json.dumps(
            {
                "event": name,
                "email": recipient,
                "id": 9999999,
                "message-id": "<202601011000.27287306012@smtp-relay.mailin.fr>",
                "date": "2026-01-01 11:00:00",
                "ts": at,
                "ts_event": at,
                "ts_epoch": at * 1000,
                "subject": "Spring news",
                "tags": ["newsletter", f"pouls:{key}"],
                **extra,
            }
        ).encode()

    return [
        event("delivered", T0),
        event("unique_opened", T0 + 60),
        event("opened", T0 + 3600),
        event("click", T0 + 3660, link="https://example.com/offer"),
        event("unsubscribe", T0 + 7200),
    ]


def _mailjet(key: str, secret: str, recipient: str = RECIPIENT) -> list[bytes]:
    """Grouped events (a JSON array) then bare ones, no event id; the send key travels in the
    event payload (``EventPayload`` on send)."""

    def event(name: str, at: int, **extra) -> dict:
        return {
            "event": name,
            "time": at,
            "MessageID": 12345678901234567,
            "Message_GUID": "1ab23cd4-e567-8901",
            "email": recipient,
            "mj_campaign_id": 1234567890,
            "mj_contact_id": 9876543210,
            "customcampaign": "",
            "Payload": json.dumps({"pouls_send": key}),
            **extra,
        }

    return [
        json.dumps([event("sent", T0, mj_message_id="12345678901234567", smtp_reply="sent (250 2.0.0 OK)")]).encode(),
        json.dumps(
            [
                event("open", T0 + 60, ip="192.168.100.100", geo="FR", agent="Mozilla/5.0"),
                event("open", T0 + 3600, ip="192.168.100.100", geo="FR", agent="Mozilla/5.0"),
            ]
        ).encode(),
        json.dumps(event("click", T0 + 3660, url="https://example.com/offer", agent="Mozilla/5.0")).encode(),
        json.dumps(event("unsub", T0 + 7200, mj_list_id=0, agent="List-Unsubscribe")).encode(),
    ]


@dataclass(frozen=True)
class Provider:
    name: str
    payloads: Callable[..., list[bytes]]  # (send key, secret[, recipient]) → request bodies
    secret: str
    other_secret: str  # another client's

    @property
    def basic_auth(self) -> bool:
        return self.name != "mailgun"

    def headers(self, secret: str) -> dict:
        if not self.basic_auth:
            return {}  # Mailgun signs the body instead
        return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


PROVIDERS = [
    Provider("sendgrid", _sendgrid, "sendgrid-hook:Tr0ub4dor&3", "sendgrid-hook:beta-s3cret"),
    Provider("mailgun", _mailgun, "key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "key-beta0beta0beta0beta0beta0beta01"),
    Provider("brevo", _brevo, "brevo:c0rrect-h0rse", "brevo:beta-s3cret"),
    Provider("mailjet", _mailjet, "mailjet:b4ttery:st4ple", "mailjet:beta-s3cret"),  # a password may hold ':'
]
by_provider = pytest.mark.parametrize("provider", PROVIDERS, ids=[p.name for p in PROVIDERS])


# --- Helpers (in the client the test is in: in_alpha) ---------------------------------------------


def _send(key: str = KEY, **counters) -> EmailSend:
    """The email send the provider's events name, sent yesterday."""
    return EmailSendFactory(key=key, sent_at=timezone.now() - timedelta(days=1), **counters)


def _hook(provider: Provider, secret: str | None = None, **fields) -> EmailProviderHook:
    """The client's hook for ``provider``: its basic-auth credentials or its signing key."""
    secret = secret or provider.secret
    credentials = {"basic_auth": secret} if provider.basic_auth else {"signing_key": secret}
    return EmailProviderHook.objects.create(provider=provider.name, **credentials, **fields)


def _post(
    http: HttpClient,
    provider: Provider,
    body: bytes,
    *,
    secret: str | None = None,
    slug: str = "alpha",
    name: str | None = None,
):
    return http.post(
        f"/c/{slug}/webhooks/email/{name or provider.name}/tracking/",
        body,
        content_type="application/json",
        headers=provider.headers(secret or provider.secret),
    )


def _post_all(http: HttpClient, provider: Provider, bodies: list[bytes], **kwargs) -> list[int]:
    return [_post(http, provider, body, **kwargs).status_code for body in bodies]


COUNTERS = ("sent", "delivered", "unique_opens", "unique_clicks", "unsubscribes", "bounces", "complaints")


def _counters(key: str = KEY) -> dict:
    return EmailSend.objects.values(*COUNTERS).get(key=key)


def _snapshot() -> tuple:
    return (
        list(EmailSend.objects.order_by("key").values("key", *COUNTERS)),
        sorted(EmailEvent.objects.values_list("provider", "event_id", "event_type", "recipient")),
        sorted(
            EmailRecipientState.objects.values_list(
                "send__key", "recipient", "delivered", "opened", "clicked", "unsubscribed", "bounced", "complained"
            )
        ),
        sorted(LeadActivity.objects.values_list("lead__email", "kind", "ref")),
    )


@pytest.fixture
def anonymous(http_as):
    return http_as(None)


ZERO = dict.fromkeys(COUNTERS, 0)
COUNTED = {**ZERO, "sent": 1, "delivered": 1, "unique_opens": 1, "unique_clicks": 1, "unsubscribes": 1}


# --- Counting ------------------------------------------------------------------------------------


@by_provider
def test_a_delivery_two_opens_a_click_and_an_unsubscribe_count_once_each(in_alpha, anonymous, provider):
    # given a send (imported without a sent count) and the client's hook for the provider
    _send()
    _hook(provider)
    # when the provider posts its events for one recipient: delivered, opened twice, clicked, unsubscribed
    statuses = _post_all(anonymous, provider, provider.payloads(KEY, provider.secret))
    # then each call is acknowledged and every counter counts the recipient once (sent follows delivered)
    assert set(statuses) == {200}
    assert _counters() == COUNTED
    state = EmailRecipientState.objects.get()
    assert state.recipient == "ada@example.com"
    assert (state.delivered, state.opened, state.clicked, state.unsubscribed) == (True, True, True, True)
    assert (state.bounced, state.complained) == (False, False)
    events = list(EmailEvent.objects.order_by("occurred_at").values_list("provider", "event_type", "recipient"))
    assert [kind for _, kind, _ in events] == ["delivered", "opened", "opened", "clicked", "unsubscribed"]
    assert {(p, r) for p, _, r in events} == {(provider.name, "ada@example.com")}
    first = EmailEvent.objects.order_by("occurred_at").first()
    assert abs(first.occurred_at - datetime.fromtimestamp(T0, tz=UTC)) < timedelta(seconds=1)


@by_provider
def test_replayed_events_change_nothing(in_alpha, anonymous, provider):
    # given a send whose events were all received
    _send()
    _hook(provider)
    bodies = provider.payloads(KEY, provider.secret)
    _post_all(anonymous, provider, bodies)
    before = _snapshot()
    # when the provider retries every call (twice)
    statuses = _post_all(anonymous, provider, bodies + bodies)
    # then they are acknowledged and nothing changes
    assert set(statuses) == {200}
    assert _snapshot() == before
    assert _counters() == COUNTED


@by_provider
def test_calls_without_the_clients_credentials_are_refused_and_write_nothing(in_alpha, provider):
    # given a send and the client's hook
    _send()
    _hook(provider)
    before = _snapshot()
    wrong = provider.secret[:-1] + "X"
    # when the events come signed with a wrong key, or with wrong or missing basic auth (each kind from
    # its own address: refused calls from one address are bounded, see the guessing test)
    refused = _post_all(HttpClient(REMOTE_ADDR="192.0.2.1"), provider, provider.payloads(KEY, wrong), secret=wrong)
    if provider.basic_auth:
        blank = HttpClient(REMOTE_ADDR="192.0.2.2")
        refused += _post_all(blank, provider, provider.payloads(KEY, provider.secret), secret=" ")
        nobody = HttpClient(REMOTE_ADDR="192.0.2.3")
        refused += [
            nobody.post(
                f"/c/alpha/webhooks/email/{provider.name}/tracking/", body, content_type="application/json"
            ).status_code
            for body in provider.payloads(KEY, provider.secret)
        ]
    # then every call is refused and nothing is written
    assert set(refused) == {400}
    assert _snapshot() == before
    assert _counters() == ZERO


@by_provider
def test_global_anymail_settings_open_no_door(in_alpha, anonymous, provider, settings):
    # given anymail's global webhook settings, which Pouls does not use, and the client's own hook
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": "global:secret",
        "MAILGUN_WEBHOOK_SIGNING_KEY": "global-signing-key",
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": "not-a-key",
    }
    _send()
    _hook(provider)
    global_secret = "global:secret" if provider.basic_auth else "global-signing-key"
    # when a call carries the global credentials: then it is refused
    refused = _post_all(anonymous, provider, provider.payloads(KEY, global_secret), secret=global_secret)
    assert set(refused) == {400}
    assert _counters() == ZERO
    # and the client's own credentials still work
    assert set(_post_all(anonymous, provider, provider.payloads(KEY, provider.secret))) == {200}
    assert _counters() == COUNTED


def test_a_mailgun_signature_covers_its_token_and_timestamp(in_alpha, anonymous):
    # given Mailgun's hook
    provider = PROVIDERS[1]
    _send()
    _hook(provider)
    [body, *_] = provider.payloads(KEY, provider.secret)
    # when a correctly signed call comes with another token, or no signature block at all
    tampered = json.loads(body)
    tampered["signature"]["token"] = "f" * 50
    unsigned = json.loads(body)
    del unsigned["signature"]
    statuses = [_post(anonymous, provider, json.dumps(p).encode()).status_code for p in (tampered, unsigned)]
    # then both are refused
    assert statuses == [400, 400]
    assert _counters() == ZERO


@pytest.mark.parametrize(
    "age",
    [timedelta(minutes=16), timedelta(days=200), -timedelta(minutes=16)],
    ids=["16-minutes-old", "200-days-old", "16-minutes-ahead"],
)
def test_a_mailgun_call_signed_more_than_15_minutes_away_is_refused(in_alpha, anonymous, age):
    # given Mailgun's hook and a correctly signed call, signed `age` ago (a replay of a captured call)
    provider = PROVIDERS[1]
    _send()
    _hook(provider)
    [body, *_] = provider.payloads(KEY, provider.secret)
    replayed = json.loads(body)
    replayed["signature"]["timestamp"] = str(int(time.time() - age.total_seconds()))
    # when it is posted
    response = _post(anonymous, provider, _mailgun_sign(replayed, provider.secret))
    # then it is refused and nothing is counted, while the same call signed now is counted
    assert response.status_code == 400
    assert _counters() == ZERO
    assert _post(anonymous, provider, body).status_code == 200
    assert _counters()["delivered"] == 1


@by_provider
def test_one_clients_credentials_cannot_write_into_another_client(world, in_alpha, anonymous, provider):
    # given the same send key in two clients, each with its own hook for the provider
    _send()
    _hook(provider)
    with tenant_context(world.beta):
        _send()
        _hook(provider, provider.other_secret)
        before = _snapshot()
    # when alpha's credentials are used on beta's URL
    statuses = _post_all(anonymous, provider, provider.payloads(KEY, provider.secret), slug="beta")
    # then they are refused: nothing changes in beta, nor in alpha
    assert set(statuses) == {400}
    with tenant_context(world.beta):
        assert _snapshot() == before
    assert _counters() == ZERO
    # and beta's own credentials do work on beta's URL
    assert set(
        _post_all(
            anonymous,
            provider,
            provider.payloads(KEY, provider.other_secret),
            slug="beta",
            secret=provider.other_secret,
        )
    ) == {200}
    with tenant_context(world.beta):
        assert _counters() == COUNTED
    assert _counters() == ZERO


@by_provider
def test_a_provider_the_client_has_no_active_hook_for_is_not_found(world, in_alpha, anonymous, provider):
    # given a send, another client's hook, and an inactive hook of this client
    _send()
    with tenant_context(world.beta):
        _hook(provider)
    [body, *_] = provider.payloads(KEY, provider.secret)
    # when the provider calls: then there is no such URL, whatever the credentials
    assert _post(anonymous, provider, body).status_code == 404
    _hook(provider, is_active=False)
    assert _post(anonymous, provider, body).status_code == 404
    assert _counters() == ZERO


def test_unknown_providers_clients_and_methods(in_alpha, anonymous):
    provider = PROVIDERS[0]
    _send()
    _hook(provider)
    [body] = provider.payloads(KEY, provider.secret)
    # an unknown provider, an unknown client: 404
    assert _post(anonymous, provider, body, name="postmark").status_code == 404
    assert _post(anonymous, provider, body, slug="nope").status_code == 404
    # a browser's GET is not a webhook call; HEAD (a provider checking the URL) answers
    assert anonymous.get("/c/alpha/webhooks/email/sendgrid/tracking/").status_code == 405
    assert anonymous.head("/c/alpha/webhooks/email/sendgrid/tracking/").status_code == 200
    assert _counters() == ZERO


def test_an_inactive_client_has_no_webhooks(world, in_alpha, anonymous):
    provider = PROVIDERS[2]
    _send()
    _hook(provider)
    Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
    try:
        [body, *_] = provider.payloads(KEY, provider.secret)
        assert _post(anonymous, provider, body).status_code == 404
    finally:
        Client.objects.filter(pk=world.alpha.pk).update(is_active=True)
    assert _counters() == ZERO


@by_provider
def test_events_of_an_unknown_send_are_acknowledged_and_ignored(in_alpha, anonymous, provider):
    # given a hook but no send with that key
    _send()
    _hook(provider)
    before = _snapshot()
    # when the provider posts events of another send
    statuses = _post_all(anonymous, provider, provider.payloads("not-ours", provider.secret))
    # then they are acknowledged (no endless retries) and nothing changes
    assert set(statuses) == {200}
    assert _snapshot() == before


def test_events_without_a_send_key_are_acknowledged_and_ignored(in_alpha, anonymous):
    provider = PROVIDERS[3]
    _send()
    _hook(provider)
    before = _snapshot()
    bodies = [
        json.dumps({**json.loads(body)[0], "Payload": "", "customcampaign": "newsletter"}).encode()
        for body in provider.payloads(KEY, provider.secret)[:1]
    ]
    assert _post_all(anonymous, provider, bodies) == [200]
    assert _snapshot() == before


def test_webhooks_need_no_csrf_token(in_alpha):
    provider = PROVIDERS[2]
    _send()
    _hook(provider)
    strict = HttpClient(enforce_csrf_checks=True)
    assert set(_post_all(strict, provider, provider.payloads(KEY, provider.secret))) == {200}
    assert _counters() == COUNTED


# --- The counters' invariants --------------------------------------------------------------------


def test_an_open_of_a_recipient_not_yet_delivered_also_counts_the_delivery(in_alpha, anonymous):
    # given a send whose provider reports opens before (or without) deliveries
    provider = PROVIDERS[1]
    _send()
    _hook(provider)
    _, open_1, open_2, click, _ = provider.payloads(KEY, provider.secret)
    # when the open arrives first, then a click, then the delivery
    delivered = provider.payloads(KEY, provider.secret)[0]
    assert _post_all(anonymous, provider, [open_1, click, open_2, delivered]) == [200] * 4
    # then the recipient is delivered once, opened once, clicked once; sent follows
    assert _counters() == {**ZERO, "sent": 1, "delivered": 1, "unique_opens": 1, "unique_clicks": 1}


def test_counts_add_to_imported_counters_within_their_constraints(in_alpha, anonymous):
    # given imported counters (100 sent, 40 delivered, 40 opened) and a send imported with nothing
    provider = PROVIDERS[0]
    _send(sent=100, delivered=40, unique_opens=40)
    _send(key="imported-empty")
    _hook(provider)
    # when two new recipients are delivered and open, in both sends
    for recipient in ("bob@example.com", "cleo@example.com"):
        for key in (KEY, "imported-empty"):
            [batch] = provider.payloads(key, provider.secret, recipient)
            events = [e for e in json.loads(batch) if e["event"] in ("delivered", "open")]
            for e in events:
                e["sg_event_id"] += f"-{key}-{recipient}"
            assert _post(anonymous, provider, json.dumps(events).encode()).status_code == 200
    # then they add up; sent never falls behind delivered
    assert _counters() == {**ZERO, "sent": 100, "delivered": 42, "unique_opens": 42}
    assert _counters("imported-empty") == {**ZERO, "sent": 2, "delivered": 2, "unique_opens": 2}


def test_an_open_keeps_the_constraints_even_when_an_import_lowered_delivered(in_alpha, anonymous):
    # given a recipient counted delivered and opened, then an import that reset the counters to zero
    provider = PROVIDERS[2]
    _send()
    _hook(provider)
    delivered, open_1, *_ = provider.payloads(KEY, provider.secret)
    _post_all(anonymous, provider, [delivered])
    EmailSend.objects.filter(key=KEY).update(sent=0, delivered=0, unique_opens=0)
    # when the recipient opens: the open counts, and delivered and sent are raised to keep the CHECKs
    assert _post(anonymous, provider, open_1).status_code == 200
    assert _counters() == {**ZERO, "sent": 1, "delivered": 1, "unique_opens": 1}


def test_bounces_and_complaints_count_once_per_recipient(in_alpha, anonymous):
    provider = PROVIDERS[3]
    _send(sent=2)
    _hook(provider)

    def event(name, recipient, at, **extra):
        return json.dumps(
            {"event": name, "time": at, "MessageID": 1, "email": recipient, "customcampaign": f"pouls:{KEY}", **extra}
        ).encode()

    bodies = [
        event(
            "bounce",
            "gone@example.com",
            T0,
            blocked=False,
            hard_bounce=True,
            error_related_to="recipient",
            error="user unknown",
        ),
        event(
            "bounce",
            "gone@example.com",
            T0 + 60,
            blocked=False,
            hard_bounce=True,
            error_related_to="recipient",
            error="user unknown",
        ),
        event("bounce", "late@example.com", T0, blocked=True, hard_bounce=False, error="greylisted"),  # deferred
        event("spam", "Grumpy@Example.com", T0 + 120, source="JMRPP"),
        event("spam", "grumpy@example.com", T0 + 180, source="JMRPP"),
    ]
    assert _post_all(anonymous, provider, bodies) == [200] * 5
    # a complaint means the mail was delivered; a deferral counts nothing
    assert _counters() == {**ZERO, "sent": 2, "delivered": 1, "bounces": 1, "complaints": 1}


# --- Leads ---------------------------------------------------------------------------------------


@by_provider
def test_a_leads_first_open_and_first_click_are_recorded_once(in_alpha, anonymous, provider):
    # given a lead whose address the provider reports in another case
    lead = LeadFactory(email="ada@example.com")
    _send()
    _hook(provider)
    bodies = provider.payloads(KEY, provider.secret)
    # when the events arrive, and are replayed
    _post_all(anonymous, provider, bodies + bodies)
    # then the lead has one email_open and one email_click activity for the send
    activities = list(LeadActivity.objects.filter(lead=lead).order_by("at").values_list("kind", "ref", "at"))
    assert [(kind, ref) for kind, ref, _ in activities] == [("email_open", KEY), ("email_click", KEY)]
    assert abs(activities[0][2] - datetime.fromtimestamp(T0 + 60, tz=UTC)) < timedelta(seconds=1)


def test_recipients_who_are_not_leads_get_no_lead(in_alpha, anonymous):
    provider = PROVIDERS[0]
    _send()
    _hook(provider)
    _post_all(anonymous, provider, provider.payloads(KEY, provider.secret))
    assert not Lead.objects.exists() and not LeadActivity.objects.exists()


# --- Concurrency ---------------------------------------------------------------------------------


def test_concurrent_deliveries_of_the_same_events_count_once(committed, in_client):
    # given a send and Brevo's hook in alpha, committed so that parallel requests see them
    in_client(committed.alpha)
    provider = PROVIDERS[2]
    _send()
    _hook(provider)
    delivered, open_1, open_2, *_ = provider.payloads(KEY, provider.secret)
    bodies = [delivered, open_1, open_2] * 4
    results: list = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = _post(HttpClient(), provider, bodies[i]).status_code
        except Exception as exc:  # keep the failure for the assertion
            results[i] = exc
        finally:
            connection.close()

    try:
        # when twelve calls (three events, each sent four times) arrive at once
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        # then all are acknowledged, each event is stored once and the recipient counted once
        assert results == [200] * len(bodies), results
        assert _counters() == {**ZERO, "sent": 1, "delivered": 1, "unique_opens": 1}
        assert EmailEvent.objects.count() == 3
        assert EmailRecipientState.objects.count() == 1
    finally:
        EmailSend.objects.all().delete()
        EmailProviderHook.objects.all().delete()


# --- Admin ---------------------------------------------------------------------------------------

ADMIN = "/c/alpha/admin/campaigns/emailproviderhook/"


def test_the_admin_shows_each_hooks_url_and_masks_its_secret(world, in_alpha, http_as):
    admin = http_as(world.manager_alpha)
    # when a manager adds a Brevo hook
    response = admin.post(
        f"{ADMIN}add/", {"provider": "brevo", "basic_auth": "brevo:c0rrect-h0rse", "signing_key": "", "is_active": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    hook = EmailProviderHook.objects.get()
    assert hook.basic_auth == "brevo:c0rrect-h0rse"
    # then the list and the form show the full URL to paste, and never the password
    for page in (admin.get(ADMIN), admin.get(f"{ADMIN}{hook.pk}/change/")):
        html = page.content.decode()
        assert page.status_code == 200
        assert "http://testserver/c/alpha/webhooks/email/brevo/tracking/" in html
        assert "brevo:••••••••" in html
        assert "c0rrect-h0rse" not in html
    # and saving the form without retyping the secret keeps it
    response = admin.post(f"{ADMIN}{hook.pk}/change/", {"provider": "brevo", "basic_auth": "", "signing_key": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    hook.refresh_from_db()
    assert (hook.basic_auth, hook.is_active) == ("brevo:c0rrect-h0rse", False)


def test_the_admin_requires_the_providers_credentials(world, in_alpha, http_as):
    admin = http_as(world.manager_alpha)
    missing_key = admin.post(f"{ADMIN}add/", {"provider": "mailgun", "basic_auth": "a:b", "is_active": "on"})
    bad_auth = admin.post(f"{ADMIN}add/", {"provider": "sendgrid", "basic_auth": "no-colon", "is_active": "on"})
    assert missing_key.status_code == bad_auth.status_code == 200  # the form again, with its errors
    ok = admin.post(
        f"{ADMIN}add/",
        {
            "provider": "mailgun",
            "signing_key": "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
            "basic_auth": "stray:value",
            "is_active": "on",
        },
    )
    assert ok.status_code == 302
    hook = EmailProviderHook.objects.get()
    assert (hook.provider, hook.basic_auth) == ("mailgun", "")  # only the secret Mailgun uses is kept
    html = admin.get(f"{ADMIN}{hook.pk}/change/").content.decode()
    assert "••••••••eol0" in html and "3ax6xnjp29" not in html


def test_only_managers_reach_the_hooks_admin(world, http_as):
    assert http_as(world.sales_alpha).get(ADMIN).status_code == 403
    assert http_as(world.viewer_beta).get(ADMIN).status_code in (403, 404)


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p.name in ("brevo", "mailgun")], ids=["brevo", "mailgun"])
def test_guessing_a_clients_webhook_credentials_is_bounded_per_address(in_alpha, provider):
    # given the client's hook, and someone guessing its credentials from one address
    _send()
    _hook(provider)
    guesser = HttpClient(REMOTE_ADDR="198.51.100.7")
    bodies = [provider.payloads(KEY, f"{provider.secret[:-2]}{i:02d}")[0] for i in range(10)]
    # when ten guesses are refused
    statuses = [
        _post(guesser, provider, body, secret=f"{provider.secret[:-2]}{i:02d}").status_code
        for i, body in enumerate(bodies)
    ]
    assert statuses == [400] * 10
    # then that address waits, even with the right credentials, and nothing was written
    [right, *_] = provider.payloads(KEY, provider.secret)
    blocked = _post(guesser, provider, right)
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 15 * 60
    assert _counters() == ZERO
    # while the provider, calling from its own address, is served
    assert _post(HttpClient(REMOTE_ADDR="203.0.113.9"), provider, right).status_code == 200
    assert _counters()["delivered"] == 1
