"""Meta Ads end to end: a real Celery worker runs ``connectors.sync`` against the fake Graph API and the
fake Meta login on loopback. The backfill writes 13 months of spend on platform campaigns created on
``paid_social``; an incremental pull writes a restated day; a 429 and Meta's own rate limit (code 17 with
a 400) are retried; a token near its end is exchanged (``fb_exchange_token``) before the requests; a
revoked grant marks the connection and the source broken."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import FactSource, PlatformCampaign, Spend
from config.crypto import decrypted
from connectors.models import Connection, ConnectionStatus, Provider, Source, SourceKind, SourceStatus
from connectors.windows import backfill_first_day, chunks, source_yesterday
from tests.connector_worker import agency_grant, rows_removed_after, sync_in_worker, worker_on_own_queue
from tests.fakes.base import FakeServer, TokenBook, serving
from tests.fakes.meta_api import FakeMetaGraph
from tests.fakes.meta_oauth import FakeMetaOAuth

pytestmark = pytest.mark.worker

ACCOUNT = "act_5550001"
INSIGHTS = f"/v23.0/{ACCOUNT}/insights"
CAMPAIGNS = {"120200000000000111": "Printemps — Vélos", "120200000000000222": "Soldes d'été"}


@pytest.fixture
def platform():
    tokens = TokenBook()
    server = FakeServer()
    graph = FakeMetaGraph(tokens)
    login = FakeMetaOAuth(tokens, client_id="meta-app-e2e", client_secret="meta-secret-e2e")
    graph.install(server)
    login.install(server)
    with serving(server):
        yield server, graph, login, tokens


@pytest.fixture
def worker(committed, platform, settings, tmp_path):
    server, _graph, login, _tokens = platform
    with worker_on_own_queue(settings, tmp_path / "worker.log", login.settings(server)) as queue:
        yield queue


@pytest.fixture
def source(committed, platform):
    """alpha fed by a Meta ad account, through a grant whose long-lived token the fake login issued."""
    _server, _graph, _login, tokens = platform
    connection = agency_grant(
        committed.agency,
        Provider.META,
        tokens,
        label="Agence Meta",
        scopes="ads_read",
        lifetime=timedelta(days=50),
        refresh=False,
    )
    source = Source.objects.create(
        client=committed.alpha,
        connection=connection,
        kind=SourceKind.META_ADS,
        external_id=ACCOUNT,
        external_name="Alpha",
    )
    with rows_removed_after(committed.alpha, connection, {Spend: [FactSource.META_ADS]}):
        yield source


def _spend(source: Source, **filters) -> Decimal:
    with tenant_context(source.client):
        total = Spend.objects.filter(source=FactSource.META_ADS, **filters).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def test_meta_ads_backfill_restated_day_rate_limits_token_exchange_and_revocation(committed, platform, worker, source):
    server, graph, login, tokens = platform
    yesterday = source_yesterday(source, timezone.now())
    first = backfill_first_day(yesterday)
    graph.add_account(ACCOUNT, "Alpha — Meta", currency="EUR")
    graph.fill(ACCOUNT, first - timedelta(days=40), yesterday + timedelta(days=1), CAMPAIGNS)

    # Backfill: 13 months of spend, a month per request, on two platform campaigns created on paid_social.
    result = sync_in_worker(source, worker)
    assert (result["outcome"], result["mode"]) == ("ok", "backfill")
    source.refresh_from_db()
    assert (source.status, source.first_day, source.last_day, source.last_error) == (
        SourceStatus.OK,
        first,
        yesterday,
        "",
    )
    assert _spend(source) == graph.spend_total(ACCOUNT, first, yesterday) > 0
    assert _spend(source, date__lt=first) == 0 and _spend(source, date__gt=yesterday) == 0
    with tenant_context(source.client):
        mapped = {p.external_id: p.campaign for p in PlatformCampaign.objects.filter(source=FactSource.META_ADS)}
        assert set(mapped) == set(CAMPAIGNS)
        assert {c.channel.key for c in mapped.values()} == {"paid_social"}
        assert Spend.objects.filter(source=FactSource.META_ADS).values("date").distinct().count() == (
            (yesterday - first).days + 1
        )
    backfill_calls = server.calls_to(INSIGHTS)
    assert len(backfill_calls) == len(chunks(first, yesterday)) >= 13  # 31 days a request, one page each

    # Incremental: the last 7 days read again; Meta restated one of them.
    restated = yesterday - timedelta(days=3)
    graph.restate(ACCOUNT, restated, "120200000000000111", CAMPAIGNS["120200000000000111"], "987.65", 321, 54321)
    # ... and answers a 429, then its own rate limit (code 17 with a 400), before answering.
    graph.throttle(ACCOUNT, times=1, http_429=True)
    graph.throttle(ACCOUNT, times=1)
    result = sync_in_worker(source, worker)
    assert (result["outcome"], result["mode"]) == ("ok", "incremental")
    incremental_calls = server.calls_to(INSIGHTS)[len(backfill_calls) :]
    assert len(incremental_calls) == 3  # the 429, the 400 code 17, the answer
    with tenant_context(source.client):
        row = Spend.objects.get(source=FactSource.META_ADS, date=restated, campaign=mapped["120200000000000111"])
        assert (row.amount, row.clicks, row.impressions) == (Decimal("987.65"), 321, 54321)
    assert _spend(source) == graph.spend_total(ACCOUNT, first, yesterday)

    # A long-lived token within a week of its end is exchanged for a new one before the requests.
    old_token = decrypted(Connection.objects.get(pk=source.connection_id).access_token)
    Connection.objects.filter(pk=source.connection_id).update(expires_at=timezone.now() + timedelta(days=2))
    seen = len(server.calls)
    result = sync_in_worker(source, worker)
    assert result["outcome"] == "ok"
    connection = Connection.objects.get(pk=source.connection_id)
    new_token = decrypted(connection.access_token)
    assert login.exchanges == 1 and new_token != old_token and tokens.valid(new_token)
    assert connection.expires_at > timezone.now() + timedelta(days=50)
    graph_calls = [c for c in server.calls[seen:] if c.path.startswith(f"/v23.0/{ACCOUNT}")]
    assert graph_calls and {c.headers["authorization"] for c in graph_calls} == {f"Bearer {new_token}"}

    # The person withdrew the app: Meta refuses the token (190), the exchange too; the grant is broken.
    tokens.revoke_all()
    result = sync_in_worker(source, worker)
    assert result["outcome"] == "broken"
    connection.refresh_from_db()
    source.refresh_from_db()
    assert connection.status == ConnectionStatus.BROKEN
    assert source.status == SourceStatus.BROKEN and "Error validating access token" in source.last_error
    assert _spend(source) == graph.spend_total(ACCOUNT, first, yesterday)  # what was written stays
