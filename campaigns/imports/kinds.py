"""What each kind of file holds (docs/imports.md) and how its rows are written.

Validation (``parse``) reads one row into plain values and never writes; writing (``write``)
happens only once the whole file is valid, with one set-based upsert per table. The rules the API
and the admin share (keys, dates, URLs, counters, keywords) are ``campaigns.rules``' (``row_rule``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from campaigns import rules
from campaigns.imports import cells
from campaigns.imports.cells import CellError
from campaigns.imports.upsert import UpsertCount, upsert
from campaigns.models import (
    CTA,
    Campaign,
    Channel,
    CTAStat,
    EmailSend,
    FactSource,
    KeywordStat,
    LandingPage,
    MetricValue,
    Offer,
    Spend,
    Traffic,
)
from config.dates import date_refusal
from config.errors import DomainError


class RowError(ValueError):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


@dataclass
class Context:
    """What parsing needs to know about the client: its zone, whether it writes dates day first
    (``cells.day_first`` of its language) and its existing keys."""

    zone: ZoneInfo
    first: bool = False  # day-first dates (a French client)
    channels: dict[str, int] = field(default_factory=dict)
    keys: dict[type, dict[str, int]] = field(default_factory=dict)  # model -> key -> id
    missing: dict[type, set[str]] = field(default_factory=dict)  # keys to create on the fly
    extra: dict = field(default_factory=dict)  # what a kind of another app caches for itself

    @classmethod
    def load(cls, zone: ZoneInfo, first: bool = False) -> Context:
        return cls(
            zone=zone,
            first=first,
            channels=dict(Channel.objects.values_list("key", "pk")),
            keys={model: dict(model.objects.values_list("key", "pk")) for model in (Campaign, Offer, LandingPage, CTA)},
        )

    def reference(self, model: type, key: str) -> str:
        """Remember a key the write phase must resolve (creating it when unknown)."""
        if key not in self.keys[model]:
            self.missing.setdefault(model, set()).add(key)
        return key

    def to_create(self) -> dict[type, list[str]]:
        """The keys the write phase would create, by model (the preview warns of them first)."""
        return {model: sorted(keys) for model, keys in self.missing.items() if keys}

    def create_missing(self) -> dict[str, list[str]]:
        created = {}
        for model, keys in self.missing.items():
            if keys:
                model.objects.bulk_create([model(key=k, name=k) for k in sorted(keys)], ignore_conflicts=True)
                self.keys[model] = dict(model.objects.values_list("key", "pk"))
                created[model._meta.model_name] = sorted(keys)
        self.missing = {}
        return created

    def id_of(self, model: type, key: str | None) -> int | None:
        return None if key is None else self.keys[model][key]


def _swap(row: dict, column: str, id_column: str, value) -> dict:
    """The row with ``column`` (a key) replaced by ``id_column`` (the database id)."""
    return {**{k: v for k, v in row.items() if k != column}, id_column: value}


def _get(row: dict[str, str], column: str) -> str:
    return (row.get(column) or "").strip()


def row_cell(row: dict[str, str], column: str, parse: Callable, *args, required: bool = False):
    """A row's cell parsed (None when blank); a bad value is a ``RowError`` naming its column. Public:
    kinds defined outside this module (the CRM's leads) read their rows with it."""
    value = _get(row, column)
    if not value:
        if required:
            raise RowError(column, _("a value is required"))
        return None
    try:
        return parse(value, *args)
    except CellError as exc:
        raise RowError(column, str(exc)) from None


def row_dated(row: dict[str, str], column: str, parse: Callable, *args, required: bool = False, zone=None):
    """A date (or instant) cell within the bounds of every fact's date (``config.dates``)."""
    value = row_cell(row, column, parse, *args, required=required)
    if value is not None and (refusal := date_refusal(value, zone=zone)) is not None:
        raise RowError(column, refusal)
    return value


def row_rule(rule: Callable, *args, **kwargs):
    """A rule of ``campaigns.rules`` (or any check raising ``DomainError``) applied to a row's values:
    its refusal is a ``RowError`` on the column the rule names, in the words of the API and the admin."""
    try:
        return rule(*args, **kwargs)
    except DomainError as exc:
        raise RowError(exc.field or "", exc.message) from None


def row_channel(row, column, ctx: Context, default: str | None = None) -> str | None:
    """A channel key cell, refused unless it names one of the client's channels."""
    value = row_cell(row, column, cells.key) or default
    if value is not None and value not in ctx.channels:
        raise RowError(column, _("unknown channel '%(value)s'") % {"value": value})
    return value


@dataclass
class Kind:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    identity: tuple[str, ...]
    parse: Callable[[dict[str, str], Context], dict]
    write: Callable[[list[dict], Context, set[str]], UpsertCount]
    # Rows sharing an identity merge (leads, by the duplicate rules) instead of being refused.
    merges_duplicates: bool = False
    # One row of every column, as typed values: the downloadable templates write it in the client's
    # format (``cells.written``), and its dates name the columns the preview shows the reading of.
    example: dict = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def dated(self) -> tuple[str, ...]:
        """The columns holding dates or instants."""
        return tuple(c for c, v in self.example.items() if isinstance(v, date | datetime))


# --- campaigns, offers, landing pages: catalogue rows keyed by their key ---------------------------


def _parse_campaign(row, ctx):
    starts = row_cell(row, "starts_on", cells.day, ctx.first)
    ends = row_cell(row, "ends_on", cells.day, ctx.first)
    row_rule(rules.campaign_dates_check, starts, ends)
    return {
        "key": row_cell(row, "key", cells.key, required=True),
        "name": row_cell(row, "name", cells.text, required=True),
        "channel": row_channel(row, "channel", ctx),
        "starts_on": starts,
        "ends_on": ends,
        "budget": row_cell(row, "budget", cells.amount),
        "utm_campaign": row_cell(row, "utm_campaign", cells.text) or "",
    }


def _write_campaigns(rows, ctx, present):
    values = [
        {**_swap(r, "channel", "channel_id", ctx.channels.get(r["channel"])), "status": Campaign.Status.ACTIVE}
        for r in rows
    ]
    update = ["name", *(c for c in ("starts_on", "ends_on", "budget", "utm_campaign") if c in present)]
    if "channel" in present:
        update.append("channel_id")
    return upsert(Campaign, values, conflict=["key"], update=update)


def _parse_offer(row, ctx):
    kind = row_cell(row, "kind", cells.key) or Offer.Kind.OTHER
    if kind not in Offer.Kind.values:
        raise RowError(
            "kind",
            _("unknown kind '%(value)s' (one of %(kinds)s)") % {"value": kind, "kinds": ", ".join(Offer.Kind.values)},
        )
    return {
        "key": row_cell(row, "key", cells.key, required=True),
        "name": row_cell(row, "name", cells.text, required=True),
        "kind": kind,
    }


def _write_offers(rows, ctx, present):
    return upsert(Offer, rows, conflict=["key"], update=["name", *(["kind"] if "kind" in present else [])])


def _parse_landing_page(row, ctx):
    offer, campaign = row_cell(row, "offer", cells.key), row_cell(row, "campaign", cells.key)
    return {
        "key": row_cell(row, "key", cells.key, required=True),
        "name": row_cell(row, "name", cells.text, required=True),
        "url": row_cell(row, "url", cells.url) or "",
        "offer": ctx.reference(Offer, offer) if offer else None,
        "campaign": ctx.reference(Campaign, campaign) if campaign else None,
    }


def _write_landing_pages(rows, ctx, present):
    values = [
        {
            "key": r["key"],
            "name": r["name"],
            "url": r["url"],
            "offer_id": ctx.id_of(Offer, r["offer"]),
            "campaign_id": ctx.id_of(Campaign, r["campaign"]),
        }
        for r in rows
    ]
    update = [
        "name",
        *(["url"] if "url" in present else []),
        *(["offer_id"] if "offer" in present else []),
        *(["campaign_id"] if "campaign" in present else []),
    ]
    return upsert(LandingPage, values, conflict=["key"], update=update)


# --- daily facts: re-importing a key replaces its numbers -----------------------------------------


def _parse_spend(row, ctx):
    return {
        "date": row_dated(row, "date", cells.day, ctx.first, required=True),
        "campaign": ctx.reference(Campaign, row_cell(row, "campaign", cells.key, required=True)),
        "amount": row_cell(row, "amount", cells.amount, required=True),
    }


def _write_spend(rows, ctx, present):
    values = [
        {
            "date": r["date"],
            "campaign_id": ctx.id_of(Campaign, r["campaign"]),
            "source": FactSource.IMPORT,
            "amount": r["amount"],
        }
        for r in rows
    ]
    return upsert(Spend, values, conflict=["date", "campaign_id", "source"], update=["amount"])


def _parse_traffic(row, ctx):
    page = row_cell(row, "landing_page", cells.key)
    return {
        "date": row_dated(row, "date", cells.day, ctx.first, required=True),
        "channel": row_channel(row, "channel", ctx),
        "landing_page": ctx.reference(LandingPage, page) if page else None,
        "visits": row_cell(row, "visits", cells.count, required=True),
    }


def _write_traffic(rows, ctx, present):
    values = [
        {
            "date": r["date"],
            "channel_id": ctx.channels.get(r["channel"]) if r["channel"] else None,
            "landing_page_id": ctx.id_of(LandingPage, r["landing_page"]),
            "source": FactSource.IMPORT,
            "visits": r["visits"],
        }
        for r in rows
    ]
    return upsert(Traffic, values, conflict=["date", "channel_id", "landing_page_id", "source"], update=["visits"])


def _parse_cta(row, ctx):
    views = row_cell(row, "views", cells.count, required=True)
    clicks = row_cell(row, "clicks", cells.count, required=True)
    row_rule(rules.clicks_within_views, views=views, clicks=clicks)
    page = row_cell(row, "landing_page", cells.key)
    return {
        "date": row_dated(row, "date", cells.day, ctx.first, required=True),
        "cta": ctx.reference(CTA, row_cell(row, "cta", cells.key, required=True)),
        "landing_page": ctx.reference(LandingPage, page) if page else None,
        "views": views,
        "clicks": clicks,
    }


def _write_cta(rows, ctx, present):
    if "landing_page" in present:
        pages = {r["cta"]: ctx.id_of(LandingPage, r["landing_page"]) for r in rows if r["landing_page"]}
        upsert(
            CTA,
            [{"key": k, "name": k, "landing_page_id": v} for k, v in pages.items()],
            conflict=["key"],
            update=["landing_page_id"],
        )
    values = [
        {
            "date": r["date"],
            "cta_id": ctx.id_of(CTA, r["cta"]),
            "source": FactSource.IMPORT,
            "views": r["views"],
            "clicks": r["clicks"],
        }
        for r in rows
    ]
    return upsert(CTAStat, values, conflict=["date", "cta_id", "source"], update=["views", "clicks"])


def _parse_keyword(row, ctx):
    return {
        "date": row_dated(row, "date", cells.day, ctx.first, required=True),
        "keyword": row_cell(row, "keyword", cells.keyword, required=True),
        "channel": row_channel(row, "channel", ctx, default="organic_search"),
        "visits": row_cell(row, "visits", cells.count, required=True),
        "impressions": row_cell(row, "impressions", cells.count),
    }


def _write_keywords(rows, ctx, present):
    values = [
        {**_swap(r, "channel", "channel_id", ctx.channels[r["channel"]]), "source": FactSource.IMPORT} for r in rows
    ]
    return upsert(
        KeywordStat, values, conflict=["date", "keyword", "channel_id", "source"], update=["visits", "impressions"]
    )


# The counters of an email send (EmailSend.COUNTERS) an emails file must hold; the others are optional.
EMAIL_REQUIRED_COUNTERS = ("sent", "delivered", "unique_opens", "unique_clicks", "unsubscribes")
EMAIL_OPTIONAL_COUNTERS = tuple(c for c in EmailSend.COUNTERS if c not in EMAIL_REQUIRED_COUNTERS)


def _parse_email(row, ctx):
    counters = {c: row_cell(row, c, cells.count, required=True) for c in EMAIL_REQUIRED_COUNTERS}
    row_rule(
        rules.email_counters_check,
        sent=counters["sent"],
        delivered=counters["delivered"],
        unique_opens=counters["unique_opens"],
    )
    campaign = row_cell(row, "campaign", cells.key)
    key = row_cell(row, "key", cells.key, required=True)
    return {
        "key": key,
        "name": row_cell(row, "name", cells.text) or key,
        "sent_at": row_dated(row, "sent_at", cells.instant, ctx.zone, ctx.first, required=True, zone=ctx.zone),
        "campaign": ctx.reference(Campaign, campaign) if campaign else None,
        **counters,
        **{c: row_cell(row, c, cells.count) or 0 for c in EMAIL_OPTIONAL_COUNTERS},
    }


def _write_emails(rows, ctx, present):
    values = [_swap(r, "campaign", "campaign_id", ctx.id_of(Campaign, r["campaign"])) for r in rows]
    update = ["sent_at", *EMAIL_REQUIRED_COUNTERS, *(c for c in ("name", *EMAIL_OPTIONAL_COUNTERS) if c in present)]
    if "campaign" in present:
        update.append("campaign_id")
    return upsert(EmailSend, values, conflict=["key"], update=update)


# --- custom metrics: series the product does not track itself ------------------------------------


def _parse_metric(row, ctx):
    return {
        "date": row_dated(row, "date", cells.day, ctx.first, required=True),
        "metric": row_rule(rules.metric_name_normalised, row_cell(row, "metric", cells.text, required=True)),
        "key": row_cell(row, "key", cells.key) or "",
        "value": row_cell(row, "value", cells.signed_number, required=True),
    }


def _write_metrics(rows, ctx, present):
    return upsert(MetricValue, rows, conflict=["metric", "date", "key"], update=["value"])


# The day every template's example row happened (well inside the date bounds of config.dates).
EXAMPLE_DAY = date(2026, 1, 15)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "campaigns",
            ("key", "name"),
            ("channel", "starts_on", "ends_on", "budget", "utm_campaign"),
            ("key",),
            _parse_campaign,
            _write_campaigns,
            example={
                "key": "search-brand",
                "name": "Search brand",
                "channel": "paid_search",
                "starts_on": date(2026, 1, 1),
                "ends_on": date(2026, 6, 30),
                "budget": Decimal("1250.50"),
                "utm_campaign": "brand_2026",
            },
        ),
        Kind(
            "offers",
            ("key", "name"),
            ("kind",),
            ("key",),
            _parse_offer,
            _write_offers,
            example={"key": "ebook-kpi", "name": "Ebook KPI", "kind": "ebook"},
        ),
        Kind(
            "landing_pages",
            ("key", "name"),
            ("url", "offer", "campaign"),
            ("key",),
            _parse_landing_page,
            _write_landing_pages,
            example={
                "key": "lp-ebook",
                "name": "Ebook page",
                "url": "https://www.example.com/ebook",
                "offer": "ebook-kpi",
                "campaign": "search-brand",
            },
        ),
        Kind(
            "spend",
            ("date", "campaign", "amount"),
            (),
            ("date", "campaign"),
            _parse_spend,
            _write_spend,
            example={"date": EXAMPLE_DAY, "campaign": "search-brand", "amount": Decimal("1250.50")},
        ),
        Kind(
            "traffic",
            ("date", "visits"),
            ("channel", "landing_page"),
            ("date", "channel", "landing_page"),
            _parse_traffic,
            _write_traffic,
            example={"date": EXAMPLE_DAY, "visits": 1250, "channel": "paid_search", "landing_page": "lp-ebook"},
        ),
        Kind(
            "cta",
            ("date", "cta", "views", "clicks"),
            ("landing_page",),
            ("date", "cta"),
            _parse_cta,
            _write_cta,
            example={"date": EXAMPLE_DAY, "cta": "cta-ebook", "views": 1200, "clicks": 85, "landing_page": "lp-ebook"},
        ),
        Kind(
            "keywords",
            ("date", "keyword", "visits"),
            ("impressions", "channel"),
            ("date", "keyword", "channel"),
            _parse_keyword,
            _write_keywords,
            example={
                "date": EXAMPLE_DAY,
                "keyword": "logiciel crm",
                "visits": 320,
                "impressions": 4100,
                "channel": "organic_search",
            },
        ),
        Kind(
            "emails",
            ("key", "sent_at", *EMAIL_REQUIRED_COUNTERS),
            ("name", "campaign", *EMAIL_OPTIONAL_COUNTERS),
            ("key",),
            _parse_email,
            _write_emails,
            example={
                "key": "newsletter-2026-01",
                "sent_at": datetime(2026, 1, 15, 10, 15),  # noqa: DTZ001 (local time in the client\'s zone, as a file holds it)
                "sent": 5000,
                "delivered": 4900,
                "unique_opens": 1500,
                "unique_clicks": 240,
                "unsubscribes": 12,
                "name": "January newsletter",
                "campaign": "search-brand",
                "bounces": 100,
                "complaints": 2,
            },
        ),
        Kind(
            "metrics",
            ("date", "metric", "value"),
            ("key",),
            ("date", "metric", "key"),
            _parse_metric,
            _write_metrics,
            example={"date": EXAMPLE_DAY, "metric": "mentions", "value": Decimal("42"), "key": "linkedin"},
        ),
    )
}
