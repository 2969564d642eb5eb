"""A broken or silent platform source is a stale alert (alerts.evaluate._stale, stale_source
"connector"): one alert per platform naming its error, resolved once the source syncs again, and
worded in the notices."""

from datetime import UTC, datetime, timedelta

from alerts.evaluate import alerts_evaluate
from alerts.models import Alert, AlertRule
from alerts.notices import notice_for
from connectors.models import Connection, Source
from portfolio.models import AgencyAlertRule

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
EMAIL = [{"type": "email", "to": "ops@alpha.test"}]


def _source(world, kind="google_ads", **fields) -> Source:
    grant, _ = Connection.objects.get_or_create(agency=world.agency, provider="google")
    values = {"external_id": "1234567890", "created_at": NOW - timedelta(days=30)} | fields
    return Source.objects.create(client=world.alpha, connection=grant, kind=kind, **values)


def test_a_broken_source_opens_an_alert_naming_the_platform_and_its_error(in_alpha, world):
    AlertRule.objects.create(kind="stale", stale_source="connector", stale_days=3, channels=EMAIL)
    source = _source(
        world, status="broken", last_error="The customer is not enabled", last_success_at=NOW - timedelta(hours=5)
    )
    fired = alerts_evaluate(now=NOW).fired
    assert [(a.subject, a.period) for a in fired] == [("stale:connector:google_ads", "since:2026-12-03")]
    assert fired[0].details["error"] == "The customer is not enabled"
    notice = notice_for(fired[0], "fired", "en")
    assert notice.title == "Stale data: Google Ads (Alpha SAS)"
    assert "Last error: The customer is not enabled" in notice.lines
    assert "The source is broken: nothing syncs until it is fixed." in notice.lines
    # still broken: the same alert, nothing new
    assert alerts_evaluate(now=NOW + timedelta(hours=1)).fired == []
    # it syncs again: resolved with a recovery
    source.status, source.last_error, source.last_success_at = "ok", "", NOW + timedelta(hours=2)
    source.save()
    later = alerts_evaluate(now=NOW + timedelta(hours=3))
    assert [a.subject for a in later.recovered] == ["stale:connector:google_ads"]
    assert Alert.objects.get().state == "resolved"


def test_a_silent_source_opens_an_alert_after_the_rules_days(in_alpha, world):
    AlertRule.objects.create(kind="stale", stale_source="connector", stale_days=3, channels=EMAIL)
    source = _source(world, kind="ga4", external_id="properties/1", status="failing", last_error="Quota exceeded")
    source.last_success_at = NOW - timedelta(days=2)
    source.save()
    assert alerts_evaluate(now=NOW).fired == []  # failing for two days: not yet silent
    fired = alerts_evaluate(now=NOW + timedelta(days=1)).fired
    assert [(a.subject, a.details["platform"], a.details["silent_days"]) for a in fired] == [
        ("stale:connector:ga4", "ga4", 3)
    ]
    assert "Last successful sync:" in notice_for(fired[0], "fired", "en").lines[1]
    source.status, source.last_success_at = "ok", NOW + timedelta(days=1, hours=1)
    source.save()
    assert [a.subject for a in alerts_evaluate(now=NOW + timedelta(days=1, hours=2)).recovered] == [
        "stale:connector:ga4"
    ]


def test_a_source_never_synced_is_silent_from_its_choice(in_alpha, world):
    AlertRule.objects.create(kind="stale", stale_source="connector", stale_days=3)
    _source(world, kind="meta_ads", external_id="act_1", created_at=NOW - timedelta(days=1))
    assert alerts_evaluate(now=NOW).fired == []
    fired = alerts_evaluate(now=NOW + timedelta(days=2)).fired
    assert [(a.subject, a.period) for a in fired] == [("stale:connector:meta_ads", "since:never")]
    assert "No successful sync yet." in notice_for(fired[0], "fired", "en").lines


def test_other_clients_sources_and_healthy_ones_fire_nothing(in_alpha, world):
    AlertRule.objects.create(kind="stale", stale_source="connector", stale_days=3)
    _source(world, status="ok", last_success_at=NOW - timedelta(hours=3))
    grant, _ = Connection.objects.get_or_create(agency=world.other_agency, provider="google")
    Source.objects.create(client=world.gamma, connection=grant, kind="ga4", external_id="properties/9", status="broken")
    assert alerts_evaluate(now=NOW).fired == []


def test_an_agency_default_watches_its_clients_sources(in_alpha, world):
    AgencyAlertRule.objects.create(agency=world.agency, kind="stale", stale_source="connector", stale_days=2)
    _source(world, status="broken", last_error="Grant revoked")
    assert [a.subject for a in alerts_evaluate(now=NOW).fired] == ["stale:connector:google_ads"]
