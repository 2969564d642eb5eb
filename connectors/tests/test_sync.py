"""One run of one source (connectors/sync.py): backfill then incremental, the health it records, what
it skips, and what it refuses without writing anything."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from campaigns.models import FactCoverage, Spend, Traffic
from connectors.errors import GrantRefused, SourceRefused, Transient
from connectors.models import ConnectionStatus, Source, SourceKind, SourceStatus
from connectors.providers.rows import SpendRow, TrafficRow
from connectors.sync import source_sync, source_sync_now
from connectors.windows import CHUNK_DAYS, backfill_first_day, next_run_at

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # 11:00 in Paris: yesterday is 2 December
YESTERDAY = date(2026, 12, 2)


def fresh(source: Source) -> Source:
    with schema_context("public"):
        return Source.objects.select_related("client", "client__agency", "connection").get(pk=source.pk)


@pytest.fixture
def ga4(in_alpha, source_for):
    return source_for(in_alpha, SourceKind.GA4)


def test_the_first_run_backfills_13_months_chunk_by_chunk_then_runs_are_incremental(ga4, stub_provider_state):
    stub_provider_state.rows = [
        TrafficRow(YESTERDAY, "direct", "/", 5),
        TrafficRow(date(2025, 11, 1), "direct", "/", 3),
    ]
    result = source_sync(ga4.pk, now=NOW)
    assert (result.outcome, result.mode, result.rows_written) == ("ok", "backfill", 2)
    reads = stub_provider_state.reads
    assert reads[0][0] == backfill_first_day(YESTERDAY) == date(2025, 11, 1)
    assert reads[-1][1] == YESTERDAY
    assert all((end - start).days < CHUNK_DAYS for start, end in reads)
    assert result.chunks == len(reads)

    source = fresh(ga4)
    assert (source.status, source.first_day, source.last_day) == (SourceStatus.OK, date(2025, 11, 1), YESTERDAY)
    assert (source.last_run_at, source.last_success_at, source.last_rows_written, source.last_error) == (
        NOW,
        NOW,
        2,
        "",
    )
    assert source.next_run_at == next_run_at(source, NOW) > NOW

    # the next day: the last 7 days, and the restated one replaces the old
    stub_provider_state.reads.clear()
    stub_provider_state.rows = [
        TrafficRow(YESTERDAY, "direct", "/", 6),
        TrafficRow(YESTERDAY + timedelta(1), "direct", "/", 1),
    ]
    result = source_sync(ga4.pk, now=NOW + timedelta(days=1))
    assert (result.outcome, result.mode) == ("ok", "incremental")
    assert stub_provider_state.reads == [(YESTERDAY - timedelta(days=5), YESTERDAY + timedelta(days=1))]
    assert sorted(Traffic.objects.filter(source="ga4").values_list("date", "visits")) == [
        (date(2025, 11, 1), 3),
        (YESTERDAY, 6),
        (YESTERDAY + timedelta(1), 1),
    ]


def test_a_transient_failure_is_recorded_and_raised_for_the_task_to_retry_keeping_the_chunks_written(
    ga4, stub_provider_state
):
    stub_provider_state.rows = [TrafficRow(date(2025, 11, 2), "direct", "/", 5)]
    calls = {"n": 0}
    from connectors.tests import stub_provider

    real_rows = stub_provider.rows

    def rows(session, source, start, end):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Transient("Google answered 503 five times.")
        return real_rows(session, source, start, end)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stub_provider, "rows", rows)
        with pytest.raises(Transient):
            source_sync(ga4.pk, now=NOW)
    source = fresh(ga4)
    assert (source.status, source.last_error, source.last_success_at) == (
        SourceStatus.FAILING,
        "Google answered 503 five times.",
        None,
    )
    # two chunks committed: the next run goes on from there, as a backfill still
    assert source.last_day == date(2025, 11, 1) + timedelta(days=2 * CHUNK_DAYS - 1)
    assert Traffic.objects.filter(source="ga4").count() == 1
    stub_provider_state.reads.clear()
    result = source_sync(ga4.pk, now=NOW)
    assert result.outcome == "ok"
    assert stub_provider_state.reads[0][0] == source.last_day + timedelta(days=1)
    assert fresh(ga4).status == SourceStatus.OK


@pytest.mark.parametrize(
    "error", [SourceRefused("The property is gone."), GrantRefused("The grant was revoked.")], ids=["source", "grant"]
)
def test_a_refusal_breaks_the_source_with_its_reason(ga4, stub_provider_state, error):
    stub_provider_state.error = error
    result = source_sync(ga4.pk, now=NOW)
    assert (result.outcome, result.error) == ("broken", error.message)
    source = fresh(ga4)
    assert (source.status, source.last_error, source.last_run_at) == (SourceStatus.BROKEN, error.message, NOW)
    # a broken source does not run again until fixed
    assert source_sync(ga4.pk, now=NOW).outcome == "skipped"


def test_an_ad_account_in_another_currency_is_refused_and_nothing_is_written(in_alpha, source_for, stub_provider_state):
    ads = source_for(in_alpha, SourceKind.GOOGLE_ADS)
    stub_provider_state.currency = "USD"
    stub_provider_state.rows = [SpendRow(YESTERDAY, "1", "Brand", Decimal("3"), 1, 1)]
    result = source_sync(ads.pk, now=NOW)
    assert result.outcome == "broken"
    assert "USD" in result.error and "EUR" in result.error
    assert stub_provider_state.reads == []
    assert not Spend.objects.filter(source="google_ads").exists()
    assert not FactCoverage.objects.exists()
    assert fresh(ads).status == SourceStatus.BROKEN


@pytest.mark.parametrize("what", ["archived", "suspended", "connection"])
def test_an_archived_client_a_suspended_agency_or_a_broken_connection_is_skipped(
    world, source_for, stub_provider_state, what
):
    source = source_for(world.alpha, SourceKind.GA4)
    with schema_context("public"):
        if what == "archived":
            type(world.alpha).objects.filter(pk=world.alpha.pk).update(is_active=False)
        elif what == "suspended":
            type(world.agency).objects.filter(pk=world.agency.pk).update(suspended_at=NOW)
        else:
            type(source.connection).objects.filter(pk=source.connection_id).update(status=ConnectionStatus.BROKEN)
    assert source_sync(source.pk, now=NOW).outcome == "skipped"
    assert stub_provider_state.reads == []
    assert fresh(source).last_run_at is None


def test_a_second_run_of_the_same_source_meanwhile_is_busy(ga4, stub_provider_state):
    from django.db import connections

    from connectors.sync import LOCK_CLASS

    other = connections.create_connection("default")  # another worker's session
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, ga4.pk])
        assert source_sync(ga4.pk, now=NOW).outcome == "busy"
    finally:
        other.close()  # a worker that dies: its lock goes with its connection
    assert stub_provider_state.reads == []
    # released: the next run runs
    assert source_sync(ga4.pk, now=NOW).outcome == "ok"


def test_sync_now_sends_the_backfill_in_the_clients_schema_and_leaves_a_fallback(
    ga4, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import connection

    from connectors import tasks

    sent = []
    monkeypatch.setattr(
        tasks.connector_sync_task, "apply_async", lambda **options: sent.append((connection.schema_name, options))
    )
    with django_capture_on_commit_callbacks(execute=True):
        source_sync_now(ga4)
    assert [(schema, options["kwargs"]) for schema, options in sent] == [
        (ga4.client.schema_name, {"source_id": ga4.pk, "mode": "auto"})
    ]
    assert fresh(ga4).next_run_at is not None


def test_a_run_past_its_soft_time_limit_keeps_its_chunks_and_says_so(ga4, stub_provider_state):
    from celery.exceptions import SoftTimeLimitExceeded

    from connectors.tests import stub_provider

    real_rows = stub_provider.rows
    calls = {"n": 0}

    def rows(session, source, start, end):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SoftTimeLimitExceeded()
        return real_rows(session, source, start, end)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stub_provider, "rows", rows)
        result = source_sync(ga4.pk, now=NOW)
    assert result.outcome == "failing"
    source = fresh(ga4)
    assert source.status == SourceStatus.FAILING and "30" in source.last_error
    assert source.last_day == date(2025, 11, 1) + timedelta(days=CHUNK_DAYS - 1)
