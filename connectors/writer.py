"""Writing one chunk of a source's rows into its client's facts (docs/connectors.md, "Syncing").

In the client's schema, one transaction per chunk: the source's own rows of the chunk's days are deleted
and the chunk's rows written again, aggregated per the fact's unique key; so running a chunk twice
writes the same rows, a restated day is replaced and a row the platform no longer reports is gone.
Imported and tracked rows are never touched: they stop counting where the connector's coverage
(``FactCoverage``, extended here to the chunk) reaches (campaigns/coverage.py), and every day of the
chunk is marked dirty for the KPIs, even a day without a row, because what counts on it changed.

- **Traffic** (GA4): per (day, channel, landing page). The channel by its key, an unknown key counted
  as ``unassigned`` (a client's channels are not created by a connector); the landing page by GA4's
  path under the rule of campaigns/landing_pages.py, an unknown path leaving it empty.
- **Keywords** (Search Console): per (day, keyword) on the ``organic_search`` channel, visits = clicks.
- **Spend** (Google Ads, Meta Ads): per (day, Pouls campaign), summed over the platform campaigns mapped
  to it, with clicks and impressions. A platform campaign seen for the first time is mapped to the Pouls
  campaign whose UTM campaign code is the one the platform reports (the oldest, should several have it),
  else to a new campaign on ``paid_search`` (Google Ads) or ``paid_social`` (Meta) keyed by the slug of
  the platform's name (made unique with "-2", "-3"…) with that UTM code. A campaign whose spend was
  imported before is not guessed from its name: give it the platform's UTM code before the first sync,
  or remap the platform campaign afterwards (``connectors.source_services.platform_campaign_update``
  reads the source again from its first day: spend rows are per Pouls campaign and cannot be split).
  The platform's name is kept up to date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from campaigns.landing_pages import landing_page_ids_by_path, page_path
from campaigns.models import Campaign, Channel, FactCoverage, KeywordStat, PlatformCampaign, Spend, Traffic
from campaigns.rules import KEY_MAX_LENGTH, KEYWORD_MAX_LENGTH, MAX_AMOUNT, keyword_normalised
from campaigns.services import campaign_save
from config.events import facts_changed
from connectors.errors import SourceRefused
from connectors.models import Source, SourceKind
from connectors.providers.rows import KeywordRow, SpendRow, TrafficRow
from connectors.windows import Chunk
from kpis.services import days_dirty

MAX_ROWS = 500_000  # a chunk's rows as the platform reports them; more is a wrong account or a runaway report
BATCH = 5_000
UNASSIGNED = "unassigned"
ORGANIC_SEARCH = "organic_search"
CHANNEL_OF_KIND = {SourceKind.GOOGLE_ADS: "paid_search", SourceKind.META_ADS: "paid_social"}
CAMPAIGN_NAME_MAX = Campaign._meta.get_field("name").max_length
PLATFORM_NAME_MAX = PlatformCampaign._meta.get_field("name").max_length
UTM_MAX = Campaign._meta.get_field("utm_campaign").max_length
CENT = Decimal("0.01")


def currency_check(source: Source, currency: str) -> None:
    """An ad account must report in its client's currency: Pouls does not convert money."""
    expected = source.client.currency.upper()
    if currency and currency.upper() != expected:
        raise SourceRefused(
            _("The ad account reports in %(account)s, this client account in %(client)s.")
            % {"account": currency.upper(), "client": expected}
        )


def _too_many(max_rows: int, chunk: Chunk) -> SourceRefused:
    return SourceRefused(
        _("The platform reported more than %(max)d rows for %(days)d days: check that this is the right account.")
        % {"max": max_rows, "days": len(chunk.days)}
    )


def _counted(rows: Iterable, chunk: Chunk, max_rows: int):
    """The rows of the chunk's days (others ignored), refusing the chunk past ``max_rows``."""
    for n, row in enumerate(rows, start=1):
        if n > max_rows:
            raise _too_many(max_rows, chunk)
        if chunk.start <= row.date <= chunk.end:
            yield row


# --- aggregation (read before the transaction: the platform's pages are read outside it) -------------


@dataclass
class PlatformSpend:
    name: str = ""
    utm_campaign: str = ""
    by_day: dict = field(default_factory=lambda: defaultdict(lambda: [Decimal(0), 0, 0]))


def _traffic(rows: Iterable[TrafficRow]) -> list[Traffic]:
    channels = dict(Channel.objects.values_list("key", "pk"))
    pages = landing_page_ids_by_path()
    visits: dict[tuple, int] = defaultdict(int)
    for row in rows:
        channel = channels.get(row.channel_key) or channels.get(UNASSIGNED)
        path = row.landing_path if row.landing_path.startswith("/") else None
        page = pages.get(page_path(f"http://ga4.invalid{path}")) if path else None
        visits[(row.date, channel, page)] += max(int(row.visits), 0)
    return [Traffic(date=d, channel_id=c, landing_page_id=p, visits=v) for (d, c, p), v in visits.items()]


def _keywords(rows: Iterable[KeywordRow]) -> list[KeywordStat]:
    channel = Channel.objects.filter(key=ORGANIC_SEARCH).values_list("pk", flat=True).first()
    if channel is None:
        raise SourceRefused(_("This client account has no “organic_search” channel for the keywords."))
    stats: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        keyword = keyword_normalised(str(row.keyword)[: KEYWORD_MAX_LENGTH * 2], required=False, max_length=10**6)
        keyword = keyword[:KEYWORD_MAX_LENGTH].strip()
        if not keyword:
            continue
        stat = stats[(row.date, keyword)]
        stat[0] += max(int(row.clicks), 0)
        stat[1] += max(int(row.impressions), 0)
    return [
        KeywordStat(date=d, keyword=k, channel_id=channel, visits=v, impressions=i) for (d, k), (v, i) in stats.items()
    ]


def _platform_spend(rows: Iterable[SpendRow]) -> dict[str, PlatformSpend]:
    found: dict[str, PlatformSpend] = defaultdict(PlatformSpend)
    for row in rows:
        campaign = found[str(row.campaign_id)]
        campaign.name = row.campaign_name or campaign.name
        campaign.utm_campaign = row.utm_campaign or campaign.utm_campaign
        day = campaign.by_day[row.date]
        day[0] += Decimal(row.cost)
        day[1] += max(int(row.clicks or 0), 0)
        day[2] += max(int(row.impressions or 0), 0)
    return found


# --- platform campaigns --------------------------------------------------------------------------


def _free_key(name: str) -> str:
    """The slug of ``name``, made unique among the client's campaign keys with "-2", "-3"…"""
    base = slugify(name)[: KEY_MAX_LENGTH - 8].strip("-_") or "campaign"
    taken = set(Campaign.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def _campaign_for(kind: str, external_id: str, spend: PlatformSpend) -> Campaign:
    """The Pouls campaign a platform campaign seen for the first time counts in (module docstring),
    created through the campaigns' own service, under the same rules as the API, admin and imports."""
    name = (spend.name or external_id)[:CAMPAIGN_NAME_MAX]
    utm = spend.utm_campaign[:UTM_MAX]
    if utm:
        reused = Campaign.objects.filter(utm_campaign=utm).order_by("pk").first()
        if reused is not None:
            return reused
    channel = Channel.objects.filter(key=CHANNEL_OF_KIND[SourceKind(kind)]).first()
    return campaign_save(key=_free_key(name), name=name, channel=channel, utm_campaign=utm)


def _platform_campaigns(kind: str, spends: dict[str, PlatformSpend]) -> dict[str, int]:
    """Each platform campaign id of the chunk → its Pouls campaign id, creating those seen first now and
    bringing the platform's names up to date."""
    known = {pc.external_id: pc for pc in PlatformCampaign.objects.filter(source=kind, external_id__in=list(spends))}
    mapping = {}
    for external_id, spend in spends.items():
        name = (spend.name or external_id)[:PLATFORM_NAME_MAX]
        platform = known.get(external_id)
        if platform is None:
            campaign = _campaign_for(kind, external_id, spend)
            platform = PlatformCampaign.objects.create(
                source=kind, external_id=external_id, name=name, campaign=campaign
            )
        elif platform.name != name:
            PlatformCampaign.objects.filter(pk=platform.pk).update(name=name)
        mapping[external_id] = platform.campaign_id
    return mapping


def _spend(kind: str, spends: dict[str, PlatformSpend]) -> list[Spend]:
    mapping = _platform_campaigns(kind, spends)
    totals: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, 0])
    for external_id, spend in spends.items():
        for day, (cost, clicks, impressions) in spend.by_day.items():
            total = totals[(day, mapping[external_id])]
            total[0] += cost
            total[1] += clicks
            total[2] += impressions
    facts = []
    for (day, campaign), (cost, clicks, impressions) in totals.items():
        amount = cost.quantize(CENT, rounding=ROUND_HALF_UP)
        if not (0 <= amount <= MAX_AMOUNT):
            raise SourceRefused(
                _("The platform reported a cost of %(amount)s on %(day)s, which Pouls cannot store.")
                % {"amount": amount, "day": day.isoformat()}
            )
        facts.append(Spend(date=day, campaign_id=campaign, amount=amount, clicks=clicks, impressions=impressions))
    return facts


# --- the chunk ------------------------------------------------------------------------------------

FACT_MODEL = {
    FactCoverage.Fact.TRAFFIC: Traffic,
    FactCoverage.Fact.KEYWORD: KeywordStat,
    FactCoverage.Fact.SPEND: Spend,
}


def _coverage_extend(kind: str, fact: str, chunk: Chunk) -> None:
    table = connection.ops.quote_name(FactCoverage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (source, fact, first_day, last_day, updated_at) "  # noqa: S608 (own identifiers)
            "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (source, fact) DO UPDATE SET "
            f"first_day = LEAST(EXCLUDED.first_day, {table}.first_day), "
            f"last_day = GREATEST(EXCLUDED.last_day, {table}.last_day), updated_at = now()",
            [kind, fact, chunk.start, chunk.end],
        )


def chunk_write(source: Source, chunk: Chunk, rows: Iterable, *, max_rows: int = MAX_ROWS) -> int:
    """Replace ``source``'s rows of ``chunk``'s days by ``rows`` (the provider's, in the current client's
    schema, which must be the source's client) in one transaction; returns the fact rows written.
    The source's ``first_day``/``last_day`` advance with it (public schema, same transaction)."""
    if connection.schema_name != source.client.schema_name:
        raise ValueError("chunk_write runs in the source's client schema.")
    kind, fact = source.kind, source.fact
    rows = _counted(rows, chunk, max_rows)
    if fact == FactCoverage.Fact.SPEND:
        spends = _platform_spend(rows)
    else:
        facts = _traffic(rows) if fact == FactCoverage.Fact.TRAFFIC else _keywords(rows)
    with transaction.atomic():
        if fact == FactCoverage.Fact.SPEND:
            facts = _spend(kind, spends)
        model = FACT_MODEL[fact]
        model.objects.filter(source=kind, date__range=(chunk.start, chunk.end)).delete()
        for fact_row in facts:
            fact_row.source = kind
        model.objects.bulk_create(facts, batch_size=BATCH)
        _coverage_extend(kind, fact, chunk)
        days_dirty(fact, chunk.days)
        first = chunk.start if source.first_day is None else min(source.first_day, chunk.start)
        last = chunk.end if source.last_day is None else max(source.last_day, chunk.end)
        Source.objects.filter(pk=source.pk).update(first_day=first, last_day=last)
        source.first_day, source.last_day = first, last
        facts_changed.send(sender=chunk_write)
    return len(facts)
