"""The tracking endpoint /c/<slug>/track/ (campaigns.tracking) and its rollup into daily facts
(campaigns.tracking_rollup, campaigns.tasks)."""

from __future__ import annotations

import json
import threading
import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from campaigns.models import CTA, CTAStat, FactSource, TrackingEvent, Traffic
from campaigns.tasks import tracking_rollup as tracking_rollup_task
from campaigns.tasks import tracking_rollup_batch
from campaigns.tests.factories import CTAFactory, CTAStatFactory, LandingPageFactory
from campaigns.tracking import MAX_BODY_BYTES, MAX_EVENTS
from campaigns.tracking_rollup import tracking_events_purge, tracking_rollup
from tenants.models import Client, PendingWork

SITE = "https://www.alpha.example"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _event(kind: str = "visit", **fields) -> dict:
    event = {"id": str(uuid.uuid4()), "type": kind, "session": "session-1", "url": f"{SITE}/offre/"}
    if kind != "visit":
        event["cta"] = "signup"
    event.update(fields)
    return event


def _post(
    http: HttpClient,
    events=None,
    *,
    body: str | bytes | None = None,
    slug: str = "alpha",
    content_type: str = "text/plain;charset=UTF-8",
    ip: str = "192.0.2.1",
    **headers,
):
    if body is None:
        body = json.dumps({"events": events})
    return http.post(f"/c/{slug}/track/", body, content_type=content_type, headers=headers, REMOTE_ADDR=ip)


# The helpers below work in the client the test is in (in_alpha).


def _rollup():
    return tracking_rollup()


def _events() -> list[TrackingEvent]:
    return list(TrackingEvent.objects.order_by("occurred_at", "type"))


def _traffic() -> list[tuple]:
    """(date, channel key, landing page key, visits) of the tracked traffic."""
    rows = Traffic.objects.filter(source=FactSource.TRACKING).order_by("date", "channel__key", "landing_page__key")
    return list(rows.values_list("date", "channel__key", "landing_page__key", "visits"))


def _cta_stats() -> list[tuple]:
    """(date, CTA key, views, clicks) of the tracked CTA statistics."""
    rows = CTAStat.objects.filter(source=FactSource.TRACKING).order_by("date", "cta__key")
    return list(rows.values_list("date", "cta__key", "views", "clicks"))


def _today() -> date:
    return timezone.now().astimezone(PARIS).date()


# --- Ingest --------------------------------------------------------------------------------------


def test_a_valid_batch_is_stored_with_each_visits_channel(in_alpha, anonymous):
    # given a visit from a Google Ads click, then a view and a click of a CTA on the same page
    events = [
        _event(
            "visit",
            utm={"source": "google", "medium": "cpc", "campaign": "spring"},
            referrer="https://www.google.com/",
            url=f"{SITE}/Offre/?utm_source=google",
        ),
        _event("cta_view", at="2026-01-01T10:00:00Z"),
        _event("cta_click"),
    ]
    # when the snippet sends them the way sendBeacon does (text/plain, from the client's website)
    response = _post(anonymous, events, Origin=SITE)
    # then they are accepted, any origin may send them, and nothing is told back
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert response.content == b""
    # and they are stored raw, unprocessed, the visit with its GA4 channel
    stored = {str(event.event_id): event for event in _events()}
    assert set(stored) == {event["id"] for event in events}
    visit, view, click = (stored[event["id"]] for event in events)
    assert (visit.type, visit.channel_key, visit.path, visit.cta_key) == ("visit", "paid_search", "/offre", "")
    assert (view.type, view.channel_key, view.cta_key) == ("cta_view", "", "signup")
    assert (click.type, click.cta_key) == ("cta_click", "signup")
    assert not any(event.processed for event in stored.values())
    # and the session id is only kept as a keyed hash
    assert visit.session == view.session != "session-1"
    assert len(visit.session) == 32


def test_a_json_batch_is_accepted_too_and_the_preflight_allows_any_origin(in_alpha, anonymous):
    # when a browser asks whether it may post JSON from another site, then does
    preflight = anonymous.options(
        "/c/alpha/track/",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    response = _post(anonymous, [_event()], content_type="application/json")
    # then the preflight allows it, for a day, without credentials, and the batch is stored
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "POST"
    assert preflight["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(preflight["Access-Control-Max-Age"]) >= 3600
    assert response.status_code == 204
    assert len(_events()) == 1


def test_an_events_own_time_is_clamped_to_a_day_around_the_servers(in_alpha, anonymous):
    # given events stamped by a browser whose clock is years or months off (within the bounds of any
    # fact's date: tests/test_date_bounds.py), and one without a time
    before = timezone.now()
    _post(
        anonymous,
        [
            _event(session="past", at="2001-01-01T00:00:00+01:00"),
            _event(session="future", at=(before + timedelta(days=200)).isoformat()),
            _event(session="now"),
        ],
    )
    after = timezone.now()
    # then each is stored within a day of the server's time
    times = {event.session: event.occurred_at for event in _events()}
    assert len(times) == 3
    earliest, now, latest = sorted(times.values())
    assert before - timedelta(days=1) <= earliest <= after - timedelta(days=1)
    assert before <= now <= after
    assert before + timedelta(days=1) <= latest <= after + timedelta(days=1)


def test_duplicate_event_ids_and_reloads_count_once(in_alpha, anonymous):
    # given a batch of visits of five sessions
    batch = [_event(session=f"session-{n}") for n in range(5)]
    # when the snippet sends it twice (a retry), and the first session reloads its page
    first = _post(anonymous, batch)
    again = _post(anonymous, batch)
    reload = _post(anonymous, [_event(session="session-0")])
    # then every answer is a success, but the table holds each visit once
    assert [r.status_code for r in (first, again, reload)] == [204, 204, 204]
    assert len(_events()) == 5
    # and after the rollup there are five visits
    _rollup()
    assert _traffic() == [(_today(), "direct", None, 5)]


def test_a_second_page_of_a_session_is_a_visit_of_that_page(in_alpha, anonymous):
    # given a session that lands on two pages (a second campaign touch on another page)
    _post(
        anonymous, [_event(url=f"{SITE}/a"), _event(url=f"{SITE}/b", utm={"source": "newsletter", "medium": "email"})]
    )
    # when the events are rolled up
    _rollup()
    # then each page has its visit with its own channel
    assert _traffic() == [(_today(), "direct", None, 1), (_today(), "email", None, 1)]


MALFORMED = [
    ("not JSON", "{events: []", "text/plain", "body"),
    ("a list", "[]", "text/plain", "events"),
    ("no events key", '{"event": []}', "application/json", "events"),
    ("an empty batch", '{"events": []}', "text/plain", "events"),
    ("too many events", json.dumps({"events": [_event()] * (MAX_EVENTS + 1)}), "text/plain", "events"),
    ("an event not an object", '{"events": ["visit"]}', "text/plain", "events.0"),
    ("an unknown field", json.dumps({"events": [_event(email="a@b.c")]}), "text/plain", "events.0"),
    ("no id", json.dumps({"events": [_event(id=None)]}), "text/plain", "events.0.id"),
    ("an id that is no UUID", json.dumps({"events": [_event(id="42")]}), "text/plain", "events.0.id"),
    ("an id that is a number", json.dumps({"events": [_event(id=42)]}), "text/plain", "events.0.id"),
    ("an unknown type", json.dumps({"events": [_event("pageview")]}), "text/plain", "events.0.type"),
    ("a type that is a list", json.dumps({"events": [_event(type=["visit"])]}), "text/plain", "events.0.type"),
    ("a time that is no date", json.dumps({"events": [_event(at="yesterday")]}), "text/plain", "events.0.at"),
    ("a time without zone", json.dumps({"events": [_event(at="2026-01-01T10:00:00")]}), "text/plain", "events.0.at"),
    ("no session", json.dumps({"events": [_event(session="")]}), "text/plain", "events.0.session"),
    ("a huge session", json.dumps({"events": [_event(session="s" * 129)]}), "text/plain", "events.0.session"),
    ("a session with spaces", json.dumps({"events": [_event(session="a b")]}), "text/plain", "events.0.session"),
    ("a relative URL", json.dumps({"events": [_event(url="/offre")]}), "text/plain", "events.0.url"),
    ("a javascript: URL", json.dumps({"events": [_event(url="javascript:alert(1)")]}), "text/plain", "events.0.url"),
    ("a referrer not text", json.dumps({"events": [_event(referrer=["x"])]}), "text/plain", "events.0.referrer"),
    ("UTMs not an object", json.dumps({"events": [_event(utm="google")]}), "text/plain", "events.0.utm"),
    ("an unknown UTM", json.dumps({"events": [_event(utm={"id": "1"})]}), "text/plain", "events.0.utm"),
    ("a UTM not text", json.dumps({"events": [_event(utm={"source": 1})]}), "text/plain", "events.0.utm"),
    ("a CTA event without key", json.dumps({"events": [_event("cta_view", cta="")]}), "text/plain", "events.0.cta"),
    (
        "a CTA key in capitals",
        json.dumps({"events": [_event("cta_click", cta="Sign Up")]}),
        "text/plain",
        "events.0.cta",
    ),
    ("a visit naming a CTA", json.dumps({"events": [_event("visit", cta="signup")]}), "text/plain", "events.0.cta"),
]


@pytest.mark.parametrize(("case", "body", "content_type", "field"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_a_malformed_batch_is_refused_with_its_errors(in_alpha, anonymous, case, body, content_type, field):
    # when a batch is malformed (sent from a client's website)
    response = _post(anonymous, body=body, content_type=content_type, Origin=SITE)
    # then it is a 400 naming the problem (still readable cross-origin), and nothing is stored
    assert response.status_code == 400, response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(message, str) and message for message in errors[field])
    assert _events() == []


def test_what_postgresql_cannot_store_never_makes_a_500(in_alpha, anonymous):
    # when a page's URL holds a NUL character and a lone surrogate (JSON allows both), raw or escaped
    body = json.dumps({"events": [_event(url=f"{SITE}/a\u0000b%00c\ud800", referrer="https://x\ud800.example/")]})
    response = _post(anonymous, body=body)
    # then the event is stored, with those characters replaced
    assert response.status_code == 204, response.content
    [event] = _events()
    assert event.path == "/a?b?c?"


def test_one_bad_event_refuses_the_whole_batch_and_each_error_is_listed(in_alpha, anonymous):
    # when a batch holds good events and two bad ones
    response = _post(anonymous, [_event(), _event("cta_view", cta=None), _event(), _event(url="mailto:a@b.c")])
    # then both errors are listed and none of the events is stored
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"events.1.cta", "events.3.url"}
    assert _events() == []


def test_a_body_too_large_or_of_another_type_is_refused(in_alpha, anonymous):
    # when a batch is larger than the beacon budget, or sent as a form
    padded = json.dumps({"events": [_event(referrer="x" * 1900) for _ in range(40)]})
    too_large = _post(anonymous, body=padded)
    form = anonymous.post("/c/alpha/track/", {"events": "[]"})
    wrong_method = anonymous.get("/c/alpha/track/")
    # then each gets its own status, and nothing is stored
    assert len(padded) > MAX_BODY_BYTES
    assert (too_large.status_code, list(too_large.json()["errors"])) == (413, ["body"])
    assert (form.status_code, list(form.json()["errors"])) == (415, ["body"])
    assert (wrong_method.status_code, wrong_method["Allow"]) == (405, "POST, OPTIONS")
    assert _events() == []


def test_a_sender_over_its_rate_is_refused_until_the_minute_ends(in_alpha, anonymous, early_in_a_minute):
    with override_settings(POULS_TRACKING_EVENTS_PER_MINUTE=5):
        # given a sender who already sent 4 events this minute
        first = _post(anonymous, [_event(session=f"s{n}") for n in range(4)], ip="198.51.100.7")
        # when it sends 2 more, then 1 more, and another visitor sends 1
        over = _post(anonymous, [_event(session="s4"), _event(session="s5")], ip="198.51.100.7", Origin=SITE)
        still_over = _post(anonymous, [_event(session="s6")], ip="198.51.100.7")
        other = _post(anonymous, [_event(session="t0")], ip="203.0.113.9")
    # then the sender is refused (with a delay to wait) and the other visitor is not
    assert first.status_code == 204
    assert (over.status_code, still_over.status_code, other.status_code) == (429, 429, 204)
    assert 1 <= int(over["Retry-After"]) <= 60
    assert over["Access-Control-Allow-Origin"] == "*"
    assert len(_events()) == 5


def test_an_unknown_or_inactive_client_is_a_404(world, in_client, anonymous):
    # given gamma is deactivated
    in_client(world.gamma)
    Client.objects.filter(pk=world.gamma.pk).update(is_active=False)
    # when events are sent to a client that does not exist, and to gamma
    unknown = _post(anonymous, [_event()], slug="no-such-client")
    inactive = _post(anonymous, [_event()], slug="gamma")
    # then both are a 404, and nothing is stored
    assert (unknown.status_code, inactive.status_code) == (404, 404)
    assert _events() == []


def test_events_of_one_client_never_appear_in_another(world, in_alpha, anonymous):
    # given the same visitor session sending events to alpha and beta
    _post(anonymous, [_event(session="shared"), _event("cta_view", session="shared")], slug="alpha")
    _post(anonymous, [_event(session="shared", url="https://beta.example/")], slug="beta")
    # when both roll up
    _rollup()
    with tenant_context(world.beta):
        _rollup()
    # then each holds only its own events and facts, and the session hashes do not link them
    alpha_events = _events()
    assert [e.path for e in alpha_events] == ["/offre", "/offre"]
    assert [row[3] for row in _traffic()] == [1]
    assert [row[1:] for row in _cta_stats()] == [("signup", 1, 0)]
    with tenant_context(world.beta):
        beta_events = _events()
        assert [e.path for e in beta_events] == ["/"]
        assert [row[3] for row in _traffic()] == [1]
        assert _cta_stats() == []
        assert not CTA.objects.filter(key="signup").exists()
    assert alpha_events[0].session != beta_events[0].session
    with tenant_context(world.gamma):
        assert _events() == []


# --- Rollup --------------------------------------------------------------------------------------


def test_the_rollup_is_idempotent(in_alpha, anonymous):
    # given visits and CTA events, rolled up once
    _post(anonymous, [_event(session="a"), _event(session="b"), _event("cta_view"), _event("cta_click")])
    first = _rollup()
    facts = (_traffic(), _cta_stats())
    # when the rollup runs again
    second = _rollup()
    # then it found nothing more to add
    assert (first.events, first.visits, first.cta_events) == (4, 2, 2)
    assert (second.events, second.visits, second.cta_events) == (0, 0, 0)
    assert (_traffic(), _cta_stats()) == facts
    assert all(event.processed for event in _events())


def test_a_later_rollup_adds_to_the_days_facts(in_alpha, anonymous):
    # given a day's visits and CTA events already rolled up
    _post(anonymous, [_event(session="a"), _event("cta_view", session="a"), _event("cta_click", session="a")])
    _rollup()
    # when more arrive on the same day and roll up
    _post(anonymous, [_event(session="b"), _event(session="c"), _event("cta_view", session="b")])
    _rollup()
    # then they are added to the same rows
    assert _traffic() == [(_today(), "direct", None, 3)]
    assert _cta_stats() == [(_today(), "signup", 2, 1)]


def _paris_midnight_near_now() -> datetime:
    """A Paris midnight within 12 hours of now, so that a second either side stays within the
    endpoint's one-day clock tolerance."""
    local = (timezone.now() + timedelta(hours=12)).astimezone(PARIS)
    return datetime.combine(local.date(), datetime.min.time(), tzinfo=PARIS)


def test_events_roll_up_into_each_clients_local_date_across_midnight(world, in_alpha, anonymous):
    # given visits a second before and a second after midnight in Paris, sent to alpha (Paris) and
    # beta (Montreal, where both instants are the same evening)
    midnight = _paris_midnight_near_now()
    before = (midnight - timedelta(seconds=1)).astimezone(UTC).isoformat()
    after = (midnight + timedelta(seconds=1)).astimezone(UTC).isoformat()
    for slug in ("alpha", "beta"):
        _post(
            anonymous,
            [
                _event(session="late", at=before),
                _event("cta_view", session="late", at=before),
                _event(session="early", at=after),
                _event("cta_view", session="early", at=after),
            ],
            slug=slug,
        )
    # when each rolls up
    _rollup()
    with tenant_context(world.beta):
        _rollup()
    # then alpha counts them on two days, beta on one
    day, previous = midnight.date(), midnight.date() - timedelta(days=1)
    assert _traffic() == [(previous, "direct", None, 1), (day, "direct", None, 1)]
    assert _cta_stats() == [(previous, "signup", 1, 0), (day, "signup", 1, 0)]
    with tenant_context(world.beta):
        assert _traffic() == [(previous, "direct", None, 2)]
        assert _cta_stats() == [(previous, "signup", 2, 0)]


def test_visits_count_per_channel_and_landing_page(in_alpha, anonymous):
    # given two landing pages, one known by a URL with capitals and a trailing slash
    LandingPageFactory(key="offer", url=f"{SITE}/Offre/")
    LandingPageFactory(key="home", url=SITE)
    # when visits arrive from Google Ads, Google, Facebook, a blog, the site itself and nowhere
    _post(
        anonymous,
        [
            _event(session="1", url=f"{SITE}/offre?x=1", utm={"source": "google", "medium": "cpc"}),
            _event(session="2", url=f"{SITE}/offre", referrer="https://www.google.fr/"),
            _event(session="3", url=f"{SITE}/", referrer="https://l.facebook.com/l.php"),
            _event(session="4", url=f"{SITE}/", referrer="https://blog.example/article"),
            _event(session="5", url=f"{SITE}/pricing", referrer=f"{SITE}/"),
            _event(session="6", url=f"{SITE}/pricing"),
        ],
    )
    _rollup()
    # then each visit counts on its channel, on its landing page when it has one
    today = _today()
    assert _traffic() == [
        (today, "direct", None, 2),
        (today, "organic_search", "offer", 1),
        (today, "organic_social", "home", 1),
        (today, "paid_search", "offer", 1),
        (today, "referral", "home", 1),
    ]


def test_cta_views_and_clicks_roll_up_and_unknown_ctas_are_created(in_alpha, anonymous):
    # given a CTA the client set up, with imported statistics of today
    demo = CTAFactory(key="demo", name="Book a demo")
    CTAStatFactory(date=_today(), cta=demo, source=FactSource.IMPORT, views=100, clicks=10)
    # when three sessions see it and one clicks, and another CTA nobody set up is seen and clicked
    _post(
        anonymous,
        [
            *[_event("cta_view", session=f"s{n}", cta="demo") for n in range(3)],
            _event("cta_click", session="s0", cta="demo"),
            _event("cta_view", session="s1", cta="newsletter-box"),
            _event("cta_click", session="s1", cta="newsletter-box"),
        ],
    )
    count = _rollup()
    # then the tracked statistics sit next to the imported ones, and the new CTA exists, named after its key
    assert count.cta_events == 6
    assert _cta_stats() == [(_today(), "demo", 3, 1), (_today(), "newsletter-box", 1, 1)]
    assert CTAStat.objects.get(cta=demo, source=FactSource.IMPORT).views == 100
    assert CTA.objects.get(key="newsletter-box").name == "newsletter-box"
    assert _traffic() == []


def test_a_click_without_a_view_still_counts_as_seen(in_alpha, anonymous):
    # given a click whose view was never sent (too small to be "in view", or lost)
    _post(anonymous, [_event("cta_click", cta="tiny")])
    # when it rolls up
    _rollup()
    # then clicks never exceed views
    assert _cta_stats() == [(_today(), "tiny", 1, 1)]


def test_the_purge_forgets_old_processed_events_only(in_alpha):
    # given processed and pending events of last month and of today
    old = timezone.now() - timedelta(days=30)
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                event_id=uuid.uuid4(), type="visit", occurred_at=at, session=f"s{n}", path="/", processed=processed
            )
            for n, (at, processed) in enumerate([(old, True), (old, False), (timezone.now(), True)])
        ]
    )
    # when the purge runs
    deleted = tracking_events_purge()
    # then only last month's processed event is gone
    assert deleted == 1
    assert sorted(TrackingEvent.objects.values_list("session", flat=True)) == ["s1", "s2"]


def test_the_task_rolls_up_a_client_and_fans_out_from_the_public_schema(world, in_alpha, anonymous, monkeypatch):
    # given a pending visit in alpha
    _post(anonymous, [_event()])
    # when the task runs in alpha
    result = tracking_rollup_task.apply().get()
    # then it rolled up alpha
    assert (result["events"], result["visits"]) == (1, 1)
    assert _traffic() == [(_today(), "direct", None, 1)]
    # and when it runs in the public schema, it sends the active clients that received events since
    # (their marks), several per task, from the public schema: alpha, not gamma (suspended), not beta (idle)
    PendingWork.objects.all().delete()
    _post(anonymous, [_event(session="session-2")])
    with tenant_context(world.gamma):
        TrackingEvent.objects.create(
            event_id=uuid.uuid4(), type="visit", occurred_at=timezone.now(), session="g", path="/"
        )
    sent: list[tuple[str, list]] = []
    monkeypatch.setattr(
        tracking_rollup_batch, "apply_async", lambda *, args, **_: sent.append((connection.schema_name, args))
    )
    Client.objects.filter(pk=world.gamma.pk).update(is_active=False)
    with schema_context(get_public_schema_name()):
        result = tracking_rollup_task.apply().get()
    assert sent == [(get_public_schema_name(), [[world.alpha.pk]])]
    assert result == {"clients": 1, "tasks": 1}
    # and the batch rolls alpha up
    with schema_context(get_public_schema_name()):
        assert tracking_rollup_batch.apply(args=sent[0][1]).get() == {"clients": 1, "events": 1}


# --- Concurrency (committed data: each thread has its own connection) -----------------------------


@pytest.fixture
def alpha_tracking_cleanup(committed, in_client):
    """The test runs in alpha on committed data; alpha's tracking data is deleted afterwards."""
    in_client(committed.alpha)
    yield committed
    TrackingEvent.objects.all().delete()
    Traffic.objects.all().delete()
    CTAStat.objects.all().delete()
    CTA.objects.all().delete()


def test_two_rollups_at_once_never_count_an_event_twice(alpha_tracking_cleanup):
    world = alpha_tracking_cleanup
    # given 600 visits and 300 CTA views, committed
    http = HttpClient()
    for start in range(0, 600, 100):
        batch = [_event(session=f"s{n}") for n in range(start, start + 100)]
        assert _post(http, batch).status_code == 204
    for start in range(0, 300, 100):
        assert _post(http, [_event("cta_view", session=f"v{n}") for n in range(start, start + 100)]).status_code == 204
    # when two rollups run at once, in small chunks
    counts, errors = [], []
    barrier = threading.Barrier(2)

    def rollup():
        try:
            barrier.wait(timeout=10)
            with tenant_context(world.alpha):  # this thread's own connection
                counts.append(tracking_rollup(chunk=50))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rollup) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then together they took every event exactly once
    assert errors == []
    assert sum(count.events for count in counts) == 900
    assert sum(count.visits for count in counts) == 600
    assert _traffic() == [(_today(), "direct", None, 600)]
    assert _cta_stats() == [(_today(), "signup", 300, 0)]
