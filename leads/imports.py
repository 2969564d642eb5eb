"""The ``leads`` import kind (docs/imports.md): rows are completed on their own, merged with the
other rows and the existing leads of the same email by the duplicate rules (docs/kpis.md §3), then
written in bulk."""

from __future__ import annotations

from django.utils import timezone

from campaigns.attribution import lead_channel_key
from campaigns.imports import cells
from campaigns.imports.kinds import Context, Kind, RowError, row_cell, row_channel, row_dated
from campaigns.imports.upsert import UpsertCount
from campaigns.models import Campaign, LandingPage, Offer
from config.errors import DomainError
from leads.lifecycle import MERGED_VALUES, reached_complete, record_merge
from leads.models import ChangeOrigin, Lead, Stage, StageTransition
from leads.selectors import lead_owners
from leads.services import lead_instant_check

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


def _owners(ctx: Context) -> dict[str, int]:
    """Emails of the people who may own this client's leads (write access), loaded once."""
    if "owners" not in ctx.extra:
        from django.db import connection

        ctx.extra["owners"] = dict(lead_owners(connection.tenant).values_list("email", "pk"))
        ctx.extra["utm_campaigns"] = {
            code.lower(): key
            for key, code in Campaign.objects.exclude(utm_campaign="").values_list("key", "utm_campaign")
        }
        ctx.extra["campaign_channels"] = dict(Campaign.objects.values_list("key", "channel__key"))
        ctx.extra["now"] = timezone.now()
    return ctx.extra["owners"]


def _parse_lead(row: dict[str, str], ctx: Context) -> dict:
    owners = _owners(ctx)
    now = ctx.extra["now"]
    record = {
        "email": row_cell(row, "email", cells.email, required=True),
        "created_at": row_cell(row, "created_at", cells.instant, ctx.zone, required=True),
    }
    try:
        lead_instant_check(at=record["created_at"], field="created_at", now=now)
    except DomainError as exc:
        raise RowError("created_at", exc.message) from None
    for column, length in TEXT_COLUMNS.items():
        record[column] = row_cell(row, column, cells.text, length) or ""
    record["keyword"] = " ".join(record["keyword"].lower().split())
    record["company_size"] = row_cell(row, "company_size", cells.count)
    record["deal_value"] = row_cell(row, "deal_value", cells.amount)
    stage = row_cell(row, "stage", cells.key) or Stage.LEAD
    if stage not in Stage.values:
        raise RowError("stage", f"unknown stage '{stage}' (one of {', '.join(Stage.values)})")
    record["stage"] = stage
    owner = row_cell(row, "owner", cells.email)
    if owner is not None and owner not in owners:
        raise RowError("owner", f"unknown owner '{owner}' (a user with write access to this client)")
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
    reached = {
        c: row_dated(row, c, cells.instant, ctx.zone, zone=ctx.zone) for c in ("mql_at", "sql_at", "customer_at")
    }
    try:
        record.update(reached_complete(stage=stage, created_at=record["created_at"], reached=reached))
    except DomainError as exc:
        raise RowError(exc.field or "created_at", "is before created_at") from None
    record["lost_at"] = row_dated(row, "lost_at", cells.instant, ctx.zone, zone=ctx.zone)
    if record["lost_at"] is not None and record["lost_at"] < record["created_at"]:
        raise RowError("lost_at", "is before created_at")
    return record


def _resolve(record: dict, ctx: Context) -> dict:
    values = {k: v for k, v in record.items() if k not in ("channel", "campaign", "offer", "landing_page")}
    values["channel_id"] = ctx.channels[record["channel"]]
    values["campaign_id"] = ctx.id_of(Campaign, record["campaign"])
    values["offer_id"] = ctx.id_of(Offer, record["offer"])
    values["landing_page_id"] = ctx.id_of(LandingPage, record["landing_page"])
    return values


def _write_leads(rows: list[dict], ctx: Context, present: set[str]) -> UpsertCount:
    count = UpsertCount()
    incoming: dict[str, dict] = {}
    for record in rows:
        values = _resolve(record, ctx)
        email = values["email"]
        incoming[email] = record_merge(incoming[email], values) if email in incoming else values
    emails = list(incoming)
    new_leads, changed, history = [], [], []
    for start in range(0, len(emails), 5000):
        chunk = emails[start : start + 5000]
        existing = {lead.email: lead for lead in Lead.objects.filter(email__in=chunk)}
        for email in chunk:
            values, lead = incoming[email], existing.get(email)
            if lead is None:
                new_leads.append(_new_lead(values))
                continue
            current = {name: getattr(lead, name) for name in MERGED_VALUES}
            merged = record_merge(current, values)
            if merged == current:
                count.unchanged += 1
                continue
            for name, value in merged.items():
                setattr(lead, name, value)
            lead.is_lost = merged["lost_at"] is not None
            changed.append(lead)
            history.append(
                StageTransition(
                    lead=lead,
                    kind=StageTransition.Kind.MERGED,
                    at=values["created_at"],
                    source=ChangeOrigin.IMPORT,
                    from_stage=current["stage"],
                    to_stage=lead.stage,
                )
            )
    created = Lead.objects.bulk_create(new_leads, batch_size=2000)
    for lead in created:
        history.append(
            StageTransition(
                lead=lead,
                kind=StageTransition.Kind.CREATED,
                at=lead.created_at,
                source=ChangeOrigin.IMPORT,
                to_stage=lead.stage,
            )
        )
        if lead.is_lost:
            history.append(
                StageTransition(
                    lead=lead,
                    kind=StageTransition.Kind.LOST,
                    at=lead.lost_at,
                    source=ChangeOrigin.IMPORT,
                    reason=lead.lost_reason,
                )
            )
    if changed:
        Lead.objects.bulk_update(
            changed, [*(n for n in MERGED_VALUES if n != "email"), "is_lost", "updated_at"], batch_size=2000
        )
    StageTransition.objects.bulk_create(history, batch_size=5000)
    count.created, count.updated = len(created), len(changed)
    _rescore([lead.pk for lead in created] + [lead.pk for lead in changed])
    return count


def _new_lead(values: dict) -> Lead:
    lead = Lead(**values)
    lead.is_lost = values["lost_at"] is not None
    lead.updated_at = timezone.now()
    return lead


def _rescore(lead_ids: list[int]) -> None:
    from leads.models import ScoringRule
    from leads.scoring import leads_rescore

    if lead_ids and ScoringRule.objects.filter(is_active=True).exists():
        leads_rescore(lead_ids=lead_ids)


LEADS_KIND = Kind(
    "leads",
    ("email", "created_at"),
    (
        "first_name",
        "last_name",
        "company",
        "job_title",
        "company_size",
        "phone",
        "channel",
        "campaign",
        "offer",
        "landing_page",
        "keyword",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
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
)
