"""Pure rules of the lead lifecycle (docs/kpis.md §3 and docs/imports.md `leads`), no database."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy

from config.errors import DomainError
from leads.models import REACHED_FIELD, STAGE_ORDER, Stage

# A stage reached, a loss or a move dated before the lead was created: the same words on every path.
BEFORE_CREATION = gettext_lazy("This date is before the lead was created.")


def stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(Stage(stage))


def reached_complete(*, stage: str, created_at: datetime, reached: dict[str, datetime | None]) -> dict:
    """Fill a record's empty reached timestamps the way imports and captures must.

    (1) The current stage's own timestamp, when empty, is ``created_at``. (2) Every empty reached
    timestamp before a filled one takes the nearest later filled one (reaching SQL at t means
    reaching MQL at t). Returns ``{"mql_at": …, "sql_at": …, "customer_at": …}``.
    """
    stage = Stage(stage)
    values = {s: reached.get(REACHED_FIELD[s]) for s in STAGE_ORDER[1:]}
    if stage != Stage.LEAD and values[stage] is None:
        values[stage] = created_at
    nearest_later = None
    for s in reversed(STAGE_ORDER[1:]):
        if values[s] is None:
            values[s] = nearest_later
        else:
            nearest_later = values[s]
    for s, value in values.items():
        if value is not None and value < created_at:
            raise DomainError(str(BEFORE_CREATION), field=REACHED_FIELD[s])
    return {REACHED_FIELD[s]: v for s, v in values.items()}


def reached_after_move(*, to: str, at: datetime, reached: dict[str, datetime | None]) -> dict:
    """Timestamps after moving to ``to`` at ``at``: stages up to ``to`` not reached yet are reached
    at ``at``; reached ones never change (a move back changes only the current stage)."""
    result = dict(reached)
    for s in STAGE_ORDER[1 : stage_rank(to) + 1]:
        field = REACHED_FIELD[s]
        if result.get(field) is None:
            result[field] = at
    return result


def reached_after_correction(*, to: str, reached: dict[str, datetime | None]) -> dict:
    """Timestamps after a correction back to ``to``: the stages above it were never really reached, so
    their reach is void (None); those up to ``to`` stay as they are."""
    result = dict(reached)
    for s in STAGE_ORDER[stage_rank(to) + 1 :]:
        result[REACHED_FIELD[s]] = None
    return result


def is_move_back(*, from_stage: str, to: str) -> bool:
    return stage_rank(to) < stage_rank(from_stage)


def stage_after_merge(*, stage: str, incoming: str) -> str:
    """The current stage after a merge: the further of the two (docs/kpis.md §3 Duplicates)."""
    return incoming if stage_rank(incoming) > stage_rank(stage) else stage


def earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


ATTRIBUTION_VALUES = (
    "channel_id",
    "campaign_id",
    "offer_id",
    "landing_page_id",
    "keyword",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)
CONTACT_VALUES = ("first_name", "last_name", "company", "job_title", "company_size", "phone", "owner_id", "deal_value")


# Every value a merge decides (the lead's stored fields other than its identity and bookkeeping).
MERGED_VALUES = (
    "email",
    "created_at",
    *ATTRIBUTION_VALUES,
    *CONTACT_VALUES,
    "stage",
    "mql_at",
    "sql_at",
    "customer_at",
    "lost_at",
    "lost_reason",
)


def _empty(value) -> bool:
    return value is None or value == ""


def record_merge(existing: dict, incoming: dict) -> dict:
    """Merge two completed records of one email (docs/kpis.md §3 Duplicates), as plain values.

    Attribution is first touch (the record created first; each empty field filled from the other),
    contact fields take the incoming non-empty value, ``created_at`` and every reached timestamp are
    the earliest, the current stage the furthest, and a loss already recorded is kept.
    """
    first, second = (existing, incoming) if existing["created_at"] <= incoming["created_at"] else (incoming, existing)
    merged = dict(existing)
    for name in ATTRIBUTION_VALUES:
        merged[name] = first[name] if not _empty(first[name]) else second[name]
    for name in CONTACT_VALUES:
        if not _empty(incoming[name]):
            merged[name] = incoming[name]
    merged["created_at"] = min(existing["created_at"], incoming["created_at"])
    for name in ("mql_at", "sql_at", "customer_at"):
        merged[name] = earliest(existing[name], incoming[name])
    merged["stage"] = stage_after_merge(stage=existing["stage"], incoming=incoming["stage"])
    if existing["lost_at"] is None and incoming["lost_at"] is not None:
        merged["lost_at"], merged["lost_reason"] = incoming["lost_at"], incoming["lost_reason"]
    return merged
