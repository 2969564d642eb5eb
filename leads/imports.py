"""The ``leads`` import kind (docs/imports.md): each row is read and checked on its own by the rules
every path applies (``leads.services.lead_record_check``, the owners of ``leads.selectors.lead_owners``),
then the whole file is written by ``leads.services.leads_upsert_bulk``, which merges rows and existing
leads of one email by the duplicate rules (docs/kpis.md §3) and writes the history, in bulk."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from campaigns.attribution import lead_channel_key
from campaigns.imports import cells
from campaigns.imports.kinds import Context, Kind, RowError, row_cell, row_channel, row_rule
from campaigns.imports.upsert import UpsertCount
from campaigns.models import Campaign, LandingPage, Offer
from config.errors import DomainError
from leads.models import ATTRIBUTION_FIELDS, CONTACT_FIELDS, ChangeOrigin, Lead, Stage
from leads.selectors import lead_owners
from leads.services import OWNER_REFUSED, lead_keyword, lead_record_check, leads_upsert_bulk, merge_stage_check

TEXT_COLUMNS = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "job_title": 200,
    "phone": 50,
    "keyword": 200,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_term": 200,
    "utm_content": 200,
    "lost_reason": 500,
}
REACHED_COLUMNS = ("mql_at", "sql_at", "customer_at")


def _owners(ctx: Context) -> dict[str, int]:
    """Emails of the people who may own this client's leads (``lead_owners``), loaded once per file."""
    if "owners" not in ctx.extra:
        ctx.extra["owners"] = dict(lead_owners(connection.tenant).values_list("email", "pk"))
        ctx.extra["utm_campaigns"] = {
            code.lower(): key
            for key, code in Campaign.objects.exclude(utm_campaign="").values_list("key", "utm_campaign")
        }
        ctx.extra["campaign_channels"] = dict(Campaign.objects.values_list("key", "channel__key"))
        # A row may not move a lost lead to a further stage (merge_stage_check): their stages, once per file.
        ctx.extra["lost_stages"] = dict(Lead.objects.filter(is_lost=True).values_list("email", "stage"))
        ctx.extra["now"] = timezone.now()
    return ctx.extra["owners"]


def _parse_lead(row: dict[str, str], ctx: Context) -> dict:
    owners = _owners(ctx)
    record = {
        "email": row_cell(row, "email", cells.email, required=True),
        "created_at": row_cell(row, "created_at", cells.instant, ctx.zone, ctx.first, required=True),
    }
    for column, length in TEXT_COLUMNS.items():
        record[column] = row_cell(row, column, cells.text, length) or ""
    record["keyword"] = row_rule(lead_keyword, record["keyword"])
    record["company_size"] = row_cell(row, "company_size", cells.count)
    record["deal_value"] = row_cell(row, "deal_value", cells.amount)
    record["stage"] = row_cell(row, "stage", cells.key) or Stage.LEAD
    # The dates' bounds are part of the record's rules, checked below with the others.
    reached = {c: row_cell(row, c, cells.instant, ctx.zone, ctx.first) for c in REACHED_COLUMNS}
    record["lost_at"] = row_cell(row, "lost_at", cells.instant, ctx.zone, ctx.first)
    try:
        record.update(
            lead_record_check(
                created_at=record["created_at"],
                stage=record["stage"],
                lost_at=record["lost_at"],
                deal_value=record["deal_value"],
                now=ctx.extra["now"],
                zone=ctx.zone,
                **reached,
            )
        )
    except DomainError as exc:
        raise RowError(exc.field or "created_at", exc.message) from None
    lost_stage = ctx.extra["lost_stages"].get(record["email"])
    if lost_stage is not None:
        try:
            merge_stage_check(is_lost=True, stage=lost_stage, incoming=record["stage"])
        except DomainError as exc:
            raise RowError(exc.field, exc.message) from None
    owner = row_cell(row, "owner", cells.email)
    if owner is not None and owner not in owners:
        raise RowError("owner", str(OWNER_REFUSED))
    record["owner_id"] = owners.get(owner) if owner else None
    for column, model in (("campaign", Campaign), ("offer", Offer), ("landing_page", LandingPage)):
        value = row_cell(row, column, cells.key)
        record[column] = ctx.reference(model, value) if value else None
    if record["campaign"] is None and record["utm_campaign"]:
        record["campaign"] = ctx.extra["utm_campaigns"].get(record["utm_campaign"].lower())
    record["channel"] = lead_channel_key(
        explicit=row_channel(row, "channel", ctx),
        utm_source=record["utm_source"],
        utm_medium=record["utm_medium"],
        utm_campaign=record["utm_campaign"],
        campaign_channel=ctx.extra["campaign_channels"].get(record["campaign"]),
    )
    return record


def _resolve(record: dict, ctx: Context) -> dict:
    """A parsed row with its keys replaced by ids (the keys created on the fly exist by now)."""
    values = {k: v for k, v in record.items() if k not in ("channel", "campaign", "offer", "landing_page")}
    values["channel_id"] = ctx.channels[record["channel"]]
    values["campaign_id"] = ctx.id_of(Campaign, record["campaign"])
    values["offer_id"] = ctx.id_of(Offer, record["offer"])
    values["landing_page_id"] = ctx.id_of(LandingPage, record["landing_page"])
    return values


def _write_leads(rows: list[dict], ctx: Context, present: set[str]) -> UpsertCount:
    written = leads_upsert_bulk([_resolve(record, ctx) for record in rows], source=ChangeOrigin.IMPORT)
    return UpsertCount(created=written.created, updated=written.updated, unchanged=written.unchanged)


LEADS_KIND = Kind(
    "leads",
    ("email", "created_at"),
    (
        *CONTACT_FIELDS,
        *ATTRIBUTION_FIELDS,
        "stage",
        "mql_at",
        "sql_at",
        "customer_at",
        "lost_at",
        "lost_reason",
        "deal_value",
        "owner",
    ),
    ("email",),
    _parse_lead,
    _write_leads,
    merges_duplicates=True,
    example={
        "email": "camille.martin@example.com",
        "created_at": datetime(2026, 1, 15, 10, 15),  # noqa: DTZ001 (local time in the client\'s zone, as a file holds it)
        "first_name": "Camille",
        "last_name": "Martin",
        "company": "Atelier Martin",
        "job_title": "Marketing manager",
        "company_size": 25,
        "phone": "+33 1 23 45 67 89",
        "channel": "paid_search",
        "campaign": "search-brand",
        "offer": "ebook-kpi",
        "landing_page": "lp-ebook",
        "keyword": "logiciel crm",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "brand_2026",
        "utm_term": "logiciel crm",
        "utm_content": "ad-1",
        "stage": "customer",
        "mql_at": datetime(2026, 1, 20, 9, 0),  # noqa: DTZ001 (local time in the client\'s zone, as a file holds it)
        "sql_at": datetime(2026, 2, 2, 14, 30),  # noqa: DTZ001 (local time in the client\'s zone, as a file holds it)
        "customer_at": datetime(2026, 3, 1, 11, 0),  # noqa: DTZ001 (local time in the client\'s zone, as a file holds it)
        "lost_at": None,
        "lost_reason": "",
        "deal_value": Decimal("1250.50"),
        "owner": "",
    },
)
