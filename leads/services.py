"""Writes of the CRM. These are the only functions that write leads and their history (one at a time,
or an import's rows in bulk: ``leads_upsert_bulk``); the admin, the API, the sales screens, imports and
the capture endpoint all call them, and validate with the same checks (``lead_record_check``,
``lead_changes_check``, ``lead_owner_check``, ``scoring_rule_validate``) before they write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditAction
from audit.services import audit_record_in_current_client
from campaigns.attribution import lead_channel_key
from campaigns.models import Campaign, Channel, LandingPage, Offer
from campaigns.rules import amount_checked, keyword_normalised
from config.dates import date_check
from config.errors import DomainError
from config.events import facts_changed
from leads.lifecycle import (
    BEFORE_CREATION,
    MERGED_VALUES,
    is_move_back,
    reached_after_correction,
    reached_after_move,
    reached_complete,
    record_merge,
    stage_after_merge,
    stage_rank,
)
from leads.models import (
    ATTRIBUTION_FIELDS,
    CONTACT_FIELDS,
    REACHED_FIELD,
    ChangeOrigin,
    ErasedEmail,
    Lead,
    LeadActivity,
    LeadNote,
    LeadSettings,
    MoveKind,
    ScoringRule,
    Stage,
    StageTransition,
)
from leads.scoring import lead_score_compute, leads_rescore
from leads.selectors import lead_owners

# Whether the email is unknown or its person may not own leads here: the same words.
OWNER_REFUSED = gettext_lazy("This person may not own this client's leads.")
# A lost lead keeps its stage until it is re-opened (docs/kpis.md §3): the words of every path (moves,
# merges from the API or a capture, import rows, the admin's actions).
LOST_STAGE_REFUSED = gettext_lazy("This lead is lost: re-open it before changing its stage.")
# A move back must say what it means (docs/kpis.md §3): the API's 400 on ``kind``, the pages' question.
MOVE_KIND_REQUIRED = gettext_lazy(
    "Moving a lead back to an earlier stage: say whether it is a correction (the later stages were never "
    "really reached) or a regression (it reached them and went back)."
)
# Clock skew tolerated for an instant "now" sent by a browser or a script.
FUTURE_TOLERANCE = timedelta(minutes=5)
# A lead's dates besides created_at (a CRM's import may date a stage ahead: only the bounds apply).
LEAD_DATES = ("mql_at", "sql_at", "customer_at", "lost_at")


def email_normalise(email: str) -> str:
    """The identity of a lead: trimmed and lower-cased."""
    return (email or "").strip().lower()


def email_hash(email: str) -> str:
    return hashlib.sha256(email_normalise(email).encode()).hexdigest()


@dataclass
class LeadInput:
    """One incoming record (an import row, an API create, a form submission), validated at the edge
    into plain values and model instances."""

    email: str
    created_at: datetime | None = None
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    job_title: str = ""
    company_size: int | None = None
    phone: str = ""
    channel: Channel | None = None
    campaign: Campaign | None = None
    offer: Offer | None = None
    landing_page: LandingPage | None = None
    keyword: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    stage: str = Stage.LEAD
    mql_at: datetime | None = None
    sql_at: datetime | None = None
    customer_at: datetime | None = None
    lost_at: datetime | None = None
    lost_reason: str = ""
    deal_value: Decimal | None = None
    owner: object | None = None
    extra: dict = field(default_factory=dict)
    # The campaign when neither ``campaign`` nor ``utm_campaign`` names one (a capture form's default).
    default_campaign: Campaign | None = None


def _channel_for(record: LeadInput) -> Channel | None:
    if record.channel is not None:
        return record.channel
    campaign = record.campaign
    key = lead_channel_key(
        explicit=None,
        utm_source=record.utm_source,
        utm_medium=record.utm_medium,
        utm_campaign=record.utm_campaign,
        campaign_channel=campaign.channel.key if campaign is not None and campaign.channel_id else None,
    )
    return Channel.objects.filter(key=key).first()


def _complete(record: LeadInput, now: datetime) -> LeadInput:
    """The record on its own, before any merge: identity, channel, campaign and reached timestamps."""
    email = email_normalise(record.email)
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            _("'%(email)s' is not a valid email address.") % {"email": record.email}, field="email"
        ) from None
    created_at = record.created_at or now
    reached = lead_record_check(
        created_at=created_at,
        stage=record.stage,
        mql_at=record.mql_at,
        sql_at=record.sql_at,
        customer_at=record.customer_at,
        lost_at=record.lost_at,
        deal_value=record.deal_value,
        now=now,
    )
    if record.owner is not None:
        lead_owner_check(owner=record.owner)
    campaign = record.campaign
    if campaign is None and record.utm_campaign:
        campaign = Campaign.objects.filter(utm_campaign__iexact=record.utm_campaign.strip()).first()
    completed = replace(
        record,
        email=email,
        created_at=created_at,
        campaign=campaign or record.default_campaign,
        keyword=lead_keyword(record.keyword),
    )
    completed.channel = _channel_for(completed)
    return replace(completed, **reached)


def lead_keyword(value) -> str:
    """A lead's keyword as stored: the one normaliser of keywords (``campaigns.rules``), empty allowed."""
    return keyword_normalised(value, max_length=Lead._meta.get_field("keyword").max_length, required=False)


def stage_check(stage, *, field: str = "stage") -> None:
    if stage not in Stage.values:
        raise DomainError(
            _("'%(stage)s' is not a stage (%(stages)s).") % {"stage": stage, "stages": ", ".join(Stage.values)},
            field=field,
        )


def deal_value_check(deal_value: Decimal | None) -> None:
    """A deal value is an amount of money like a budget or a day's spend: the one amount rule."""
    amount_checked(deal_value, field="deal_value")


def lead_record_check(
    *,
    created_at: datetime,
    stage: str = Stage.LEAD,
    mql_at: datetime | None = None,
    sql_at: datetime | None = None,
    customer_at: datetime | None = None,
    lost_at: datetime | None = None,
    deal_value: Decimal | None = None,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> dict:
    """The rules of one incoming lead record, on its own (before any merge), on every path that
    creates or merges one: the API, the admin's form (``clean``), the capture endpoint and each import
    row. Created not in the future and every date within the bounds; a known stage; the reached
    timestamps completed (``leads.lifecycle.reached_complete``, docs/kpis.md §3), none of them and no
    loss before the creation; no negative deal value. Dates are judged on their local day in ``zone``
    (default: the current time zone, the client's in a request). Returns the completed reached
    timestamps (``{"mql_at": …, "sql_at": …, "customer_at": …}``); raises the first ``DomainError``."""
    lead_dates_check(
        {"created_at": created_at, "mql_at": mql_at, "sql_at": sql_at, "customer_at": customer_at, "lost_at": lost_at},
        now=now,
        zone=zone,
    )
    stage_check(stage)
    reached = reached_complete(
        stage=stage, created_at=created_at, reached={"mql_at": mql_at, "sql_at": sql_at, "customer_at": customer_at}
    )
    if lost_at is not None and lost_at < created_at:
        raise DomainError(str(BEFORE_CREATION), field="lost_at")
    deal_value_check(deal_value)
    return reached


def lead_owner_check(*, owner) -> None:
    """Refuse an owner who may not own this client's leads (``leads.selectors.lead_owners``), with the
    message the API also gives for an email nobody has: it must not tell which emails have accounts."""
    client = getattr(connection, "tenant", None)
    if client is None or not lead_owners(client).filter(pk=owner.pk).exists():
        raise DomainError(str(OWNER_REFUSED), field="owner")


def _record(
    lead: Lead, kind: str, *, at, by, source, reason="", from_stage="", to_stage="", changes=None
) -> StageTransition:
    return StageTransition.objects.create(
        lead=lead,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        at=at,
        by=by,
        reason=reason,
        source=source,
        changes=changes or {},
    )


def _history_value(value):
    """A value as a history entry's ``changes`` keep it (JSON): text, amounts as text with their cents
    (``"12500.00"``, however they were typed), instants in ISO 8601, catalogue rows by their key."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "key", None) or str(value)


def _changes(before: dict, after: dict) -> dict:
    """``{field: [before, after]}`` of the fields whose value differs, as history values."""
    return {
        name: [_history_value(before[name]), _history_value(value)]
        for name, value in after.items()
        if before[name] != value
    }


def _create(record: LeadInput, *, by, source: str) -> Lead:
    skipped = {"extra", "lost_at", "default_campaign"}
    values = {f.name: getattr(record, f.name) for f in fields(LeadInput) if f.name not in skipped}
    lead = Lead(**values)
    if record.lost_at is not None:
        lead.is_lost, lead.lost_at = True, record.lost_at
    lead.save()
    _record(lead, StageTransition.Kind.CREATED, at=lead.created_at, by=by, source=source, to_stage=lead.stage)
    if lead.is_lost:
        _record(lead, StageTransition.Kind.LOST, at=lead.lost_at, by=by, source=source, reason=lead.lost_reason)
    return lead


def _record_values(record: LeadInput) -> dict:
    """A completed record as the plain values the merge rules work on (ids for relations)."""
    values = {name: getattr(record, name) for name in MERGED_VALUES if not name.endswith("_id")}
    for name in ("channel", "campaign", "offer", "landing_page", "owner"):
        related = getattr(record, name)
        values[f"{name}_id"] = related.pk if related is not None else None
    return values


def _merge(lead: Lead, record: LeadInput, *, by, source: str) -> Lead:
    """Merge a completed record into the existing lead by the duplicate rules of docs/kpis.md §3 (one home for
    them: ``leads.lifecycle.record_merge``, which imports use too)."""
    current = {name: getattr(lead, name) for name in MERGED_VALUES}
    merge_stage_check(is_lost=lead.is_lost, stage=lead.stage, incoming=record.stage)
    merged = record_merge(current, _record_values(record))
    for name, value in merged.items():
        setattr(lead, name, value)
    if merged["lost_at"] is not None and not lead.is_lost:
        lead.is_lost = True
        _record(lead, StageTransition.Kind.LOST, at=lead.lost_at, by=by, source=source, reason=lead.lost_reason)
    lead.save()
    _record(
        lead,
        StageTransition.Kind.MERGED,
        at=record.created_at,
        by=by,
        source=source,
        from_stage=current["stage"],
        to_stage=lead.stage,
    )
    return lead


@transaction.atomic
def lead_upsert(*, record: LeadInput, by=None, source: str = ChangeOrigin.API) -> tuple[Lead, bool]:
    """Create a lead, or merge the record into the lead with the same email. Concurrent upserts of
    one email serialize on the unique index: exactly one creates, the others merge."""
    lead, created = _upsert(record, by=by, source=source)
    lead_score_refresh(lead=lead, by=by)
    return lead, created


@transaction.atomic
def lead_capture(*, record: LeadInput, form_key: str, settings: LeadSettings | None = None) -> Lead:
    """A form submission: ``lead_upsert`` then ``lead_record_activity`` (a form_submit), with the same
    results, in one transaction that reads each thing once: the client's settings (the caller's, read
    once per request), the active scoring rules, and the lead's activity counts (none for a new lead).
    The score is still judged twice, in memory, as the two calls did: a lead promoted to MQL by its
    attributes alone is promoted before its activity is recorded."""
    settings = settings or lead_settings()
    lead, created = _upsert(record, by=None, source=ChangeOrigin.CAPTURE)
    rules = list(ScoringRule.objects.filter(is_active=True))
    counts = _activity_counts(lead) if rules and not created else {}
    threshold = settings.mql_threshold
    if threshold is not None and lead_score_compute(lead=lead, rules=rules, activity_counts=counts) >= threshold:
        # Its attributes alone reach the threshold: promoted before the activity, as lead_upsert does.
        lead = lead_score_refresh(lead=lead, rules=rules, activity_counts=counts, settings=settings)
    LeadActivity.objects.create(lead=lead, kind=LeadActivity.Kind.FORM_SUBMIT, ref=form_key, at=timezone.now())
    counts[LeadActivity.Kind.FORM_SUBMIT] = counts.get(LeadActivity.Kind.FORM_SUBMIT, 0) + 1
    return lead_score_refresh(lead=lead, rules=rules, activity_counts=counts, settings=settings)


@dataclass
class BulkUpsertCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


BULK_CHUNK = 5000  # emails looked up per query
BULK_BATCH = 2000  # leads per INSERT or UPDATE


@transaction.atomic
def leads_upsert_bulk(records: list[dict], *, source: str = ChangeOrigin.IMPORT, by=None) -> BulkUpsertCount:
    """``lead_upsert`` for many records at once (an import's rows), set-based, with the same rules.

    Each record is already checked and completed on its own (``lead_record_check``: its reached
    timestamps filled in) and holds plain values, relations as ids (``channel_id``, ``owner_id``…),
    every name of ``leads.lifecycle.MERGED_VALUES``. Records of one email merge with each other, then
    with the lead of that email, by ``record_merge``; new and changed leads are written in bulk with
    their history (created, lost, merged, as ``lead_upsert`` writes it), then rescored when the client
    has scoring rules. A record that changes nothing writes nothing, so a second run is a no-op."""
    count = BulkUpsertCount()
    incoming: dict[str, dict] = {}
    for values in records:
        email = values["email"]
        incoming[email] = record_merge(incoming[email], values) if email in incoming else values
    emails = list(incoming)
    new_leads, changed, history = [], [], []
    for start in range(0, len(emails), BULK_CHUNK):
        chunk = emails[start : start + BULK_CHUNK]
        existing = {lead.email: lead for lead in Lead.objects.filter(email__in=chunk)}
        for email in chunk:
            values, lead = incoming[email], existing.get(email)
            if lead is None:
                new_leads.append(_new_lead(values))
                continue
            current = {name: getattr(lead, name) for name in MERGED_VALUES}
            # The import checked it row by row already (leads.imports); a lead lost since is refused here.
            merge_stage_check(is_lost=lead.is_lost, stage=lead.stage, incoming=values["stage"])
            merged = record_merge(current, values)
            if merged == current:
                count.unchanged += 1
                continue
            for name, value in merged.items():
                setattr(lead, name, value)
            if merged["lost_at"] is not None and not lead.is_lost:
                lead.is_lost = True
                history.append(_entry(lead, StageTransition.Kind.LOST, at=lead.lost_at, by=by, source=source))
            changed.append(lead)
            history.append(
                _entry(
                    lead,
                    StageTransition.Kind.MERGED,
                    at=values["created_at"],
                    by=by,
                    source=source,
                    from_stage=current["stage"],
                    to_stage=lead.stage,
                )
            )
    created = Lead.objects.bulk_create(new_leads, batch_size=BULK_BATCH)
    for lead in created:
        history.append(
            _entry(lead, StageTransition.Kind.CREATED, at=lead.created_at, by=by, source=source, to_stage=lead.stage)
        )
        if lead.is_lost:
            history.append(_entry(lead, StageTransition.Kind.LOST, at=lead.lost_at, by=by, source=source))
    if changed:
        Lead.objects.bulk_update(
            changed, [*(n for n in MERGED_VALUES if n != "email"), "is_lost", "updated_at"], batch_size=BULK_BATCH
        )
    StageTransition.objects.bulk_create(history, batch_size=BULK_CHUNK)
    count.created, count.updated = len(created), len(changed)
    written = [lead.pk for lead in created] + [lead.pk for lead in changed]
    if written and ScoringRule.objects.filter(is_active=True).exists():
        leads_rescore(lead_ids=written)
    return count


def _new_lead(values: dict) -> Lead:
    lead = Lead(**values)
    lead.is_lost = values["lost_at"] is not None
    lead.updated_at = timezone.now()
    return lead


def _entry(lead: Lead, kind: str, *, at, by, source, reason=None, from_stage="", to_stage="") -> StageTransition:
    """A history entry not saved yet (``_record`` without the write), for a bulk insert. A loss
    carries the lead's reason, as ``_create`` and ``_merge`` record it."""
    if reason is None:
        reason = lead.lost_reason if kind == StageTransition.Kind.LOST else ""
    return StageTransition(
        lead=lead, kind=kind, from_stage=from_stage, to_stage=to_stage, at=at, by=by, reason=reason, source=source
    )


def _activity_counts(lead: Lead) -> dict[str, int]:
    return dict(
        LeadActivity.objects.filter(lead=lead).values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )


def _upsert(record: LeadInput, *, by, source: str) -> tuple[Lead, bool]:
    """``lead_upsert`` without the scoring; the caller holds the transaction."""
    now = timezone.now()
    completed = _complete(record, now)
    try:
        with transaction.atomic():
            lead = _create(completed, by=by, source=source)
        created = True
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != "lead_email_unique_ci":
            raise DomainError(
                _("The lead was refused by the database: %(error)s") % {"error": exc}, field="email"
            ) from exc
        lead = Lead.objects.select_for_update().get(email=completed.email)
        lead = _merge(lead, completed, by=by, source=source)
        created = False
    return lead, created


def _locked(lead: Lead | int) -> Lead:
    pk = lead.pk if isinstance(lead, Lead) else lead
    try:
        return Lead.objects.select_for_update().get(pk=pk)
    except Lead.DoesNotExist:
        # Erased or merged away between the caller's read and this lock.
        raise DomainError(_("This lead no longer exists."), field="lead", code="not_found") from None


def lead_instant_check(*, at: datetime, field: str, now: datetime | None = None, zone: ZoneInfo | None = None) -> None:
    """The rule of a lead's instants that mean "when it happened" (created, moved, lost): within the
    bounds of every fact's date (``config.dates``, on its local day in ``zone``, default the current
    time zone) and not in the future, clock skew aside. Imports, the API, the admin and the capture
    endpoint all apply it."""
    date_check(at, field=field, zone=zone)
    if at > (now or timezone.now()) + FUTURE_TOLERANCE:
        raise DomainError(_("This date is in the future."), field=field)


def lead_dates_check(values: dict, *, now: datetime | None = None, zone: ZoneInfo | None = None) -> None:
    """The dates of a new lead (``created_at`` and those of ``LEAD_DATES`` in ``values``; None or
    missing ones are skipped): created not in the future, every date within the bounds."""
    if values.get("created_at") is not None:
        lead_instant_check(at=values["created_at"], field="created_at", now=now, zone=zone)
    for name in LEAD_DATES:
        if values.get(name) is not None:
            date_check(values[name], field=name, zone=zone)


def _check_instant(lead: Lead, at: datetime, field_name: str = "at") -> None:
    lead_instant_check(at=at, field=field_name)
    if at < lead.created_at:
        raise DomainError(str(BEFORE_CREATION), field=field_name)


def lost_stage_check(*, is_lost: bool, stage: str, to: str, field: str = "to") -> None:
    """The one rule of a lost lead's stage (docs/kpis.md §3): it changes only after the lead is re-opened.
    Moves, merges (API creates, captures, import rows) and the admin's actions all come here."""
    if is_lost and to != stage:
        raise DomainError(str(LOST_STAGE_REFUSED), field=field)


def merge_stage_check(*, is_lost: bool, stage: str, incoming: str, field: str = "stage") -> None:
    """A record merged into a lead must not move a lost lead to a further stage (``lost_stage_check``)."""
    lost_stage_check(is_lost=is_lost, stage=stage, to=stage_after_merge(stage=stage, incoming=incoming), field=field)


def move_kind_check(kind) -> None:
    if kind is not None and kind not in MoveKind.values:
        raise DomainError(
            _("'%(kind)s' is not a kind of move back (%(kinds)s).")
            % {"kind": kind, "kinds": ", ".join(MoveKind.values)},
            field="kind",
        )


@transaction.atomic
def lead_move_stage(
    *,
    lead: Lead | int,
    to: str,
    at: datetime | None = None,
    by=None,
    reason: str = "",
    source: str = ChangeOrigin.API,
    kind: str | None = None,
    deal_value: Decimal | None = None,
) -> Lead:
    """Move a lead forward, skipping stages, or back. Reached timestamps follow docs/kpis.md §3: a forward
    move reaches the stages up to ``to``; a move back must say its ``kind`` (ignored forward): a
    *regression* keeps every reach, a *correction* voids the reach of the stages above ``to`` (recorded as
    a ``corrected`` entry naming the dates it cleared; the entries that recorded them stay). A lost lead
    is refused until re-opened. ``deal_value`` (reaching customer only) is set with the move and recorded
    in its entry; None leaves the value as it is. Moving to the current stage records nothing (but a deal
    value given then is an edit)."""
    stage_check(to, field="to")
    move_kind_check(kind)
    if deal_value is not None and to != Stage.CUSTOMER:
        raise DomainError(_("Only a move to customer takes a deal value."), field="deal_value")
    deal_value_check(deal_value)
    lead = _locked(lead)
    at = at or timezone.now()
    _check_instant(lead, at)
    if lead.stage == to:
        if deal_value is not None:
            _edit(lead, {"deal_value": deal_value}, by=by, source=source)
        return lead
    lost_stage_check(is_lost=lead.is_lost, stage=lead.stage, to=to)
    back = is_move_back(from_stage=lead.stage, to=to)
    if back and kind is None:
        raise DomainError(str(MOVE_KIND_REQUIRED), field="kind")
    current = {f: getattr(lead, f) for f in REACHED_FIELD.values()}
    if back and kind == MoveKind.CORRECTION:
        entry_kind, reached = StageTransition.Kind.CORRECTED, reached_after_correction(to=to, reached=current)
        changes = _changes(current, reached)
    else:
        entry_kind, reached = StageTransition.Kind.MOVED, reached_after_move(to=to, at=at, reached=current)
        changes = {}
    if deal_value is not None and deal_value != lead.deal_value:
        changes["deal_value"] = [_history_value(lead.deal_value), _history_value(deal_value)]
        lead.deal_value = deal_value
    from_stage = lead.stage
    for name, value in reached.items():
        setattr(lead, name, value)
    lead.stage = to
    lead.save(update_fields=["stage", *REACHED_FIELD.values(), "deal_value", "updated_at"])
    _record(
        lead,
        entry_kind,
        at=at,
        by=by,
        source=source,
        reason=reason,
        from_stage=from_stage,
        to_stage=to,
        changes=changes,
    )
    return lead


@transaction.atomic
def lead_bulk_move(
    *,
    lead_ids: list[int],
    to: str,
    at: datetime | None = None,
    by=None,
    reason: str = "",
    source: str = ChangeOrigin.API,
    kind: str | None = None,
) -> list[Lead]:
    """Move several leads at once, all or nothing, by ``lead_move_stage``'s rules (``kind`` for those it
    moves back; a lost lead refuses the whole move, its id in the message). Rows are locked in id order
    so that two bulk moves over overlapping leads cannot deadlock."""
    ids = sorted(set(lead_ids))
    found = set(Lead.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainError(_("No lead with id %(ids)s.") % {"ids": ", ".join(map(str, missing))}, field="lead_ids")
    list(Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    moved = []
    for lead_id in ids:
        try:
            moved.append(lead_move_stage(lead=lead_id, to=to, at=at, by=by, reason=reason, source=source, kind=kind))
        except DomainError as error:
            raise DomainError(
                _("Lead %(id)s: %(reason)s") % {"id": lead_id, "reason": error.message},
                field=error.field,
                code=error.code,
            ) from error
    facts_changed.send(sender=lead_bulk_move)
    return moved


@transaction.atomic
def lead_mark_lost(
    *, lead: Lead | int, reason: str, at: datetime | None = None, by=None, source: str = ChangeOrigin.API
) -> Lead:
    lead = _locked(lead)
    at = at or timezone.now()
    _check_instant(lead, at)
    if lead.is_lost:
        raise DomainError(_("This lead is already lost."), field="lost")
    lead.is_lost, lead.lost_at, lead.lost_reason = True, at, reason.strip()
    lead.save(update_fields=["is_lost", "lost_at", "lost_reason", "updated_at"])
    _record(
        lead,
        StageTransition.Kind.LOST,
        at=at,
        by=by,
        source=source,
        reason=lead.lost_reason,
        from_stage=lead.stage,
        to_stage=lead.stage,
    )
    return lead


@transaction.atomic
def lead_reopen(*, lead: Lead | int, reason: str = "", by=None, source: str = ChangeOrigin.API) -> Lead:
    lead = _locked(lead)
    if not lead.is_lost:
        raise DomainError(_("This lead is not lost."), field="lost")
    lead.is_lost, lead.lost_at, lead.lost_reason = False, None, ""
    lead.save(update_fields=["is_lost", "lost_at", "lost_reason", "updated_at"])
    _record(
        lead,
        StageTransition.Kind.REOPENED,
        at=timezone.now(),
        by=by,
        source=source,
        reason=reason,
        from_stage=lead.stage,
        to_stage=lead.stage,
    )
    return lead


@transaction.atomic
def lead_assign(*, lead: Lead | int, owner, by=None, source: str = ChangeOrigin.API) -> Lead:
    lead = _locked(lead)
    if owner is not None:
        lead_owner_check(owner=owner)
    if lead.owner_id == (owner.pk if owner else None):
        return lead
    lead.owner = owner
    lead.save(update_fields=["owner", "updated_at"])
    _record(
        lead,
        StageTransition.Kind.ASSIGNED,
        at=timezone.now(),
        by=by,
        source=source,
        reason=owner.email if owner else "",
        from_stage=lead.stage,
        to_stage=lead.stage,
    )
    return lead


EDITABLE_FIELDS = frozenset({*CONTACT_FIELDS, "deal_value", *ATTRIBUTION_FIELDS})


def lead_changes_check(*, lead: Lead, changes: dict) -> None:
    """The rules of ``lead_update``, for the API and the admin's form (``clean``) alike: only contact
    and attribution fields, an email no other lead has, no negative deal value."""
    unknown = set(changes) - EDITABLE_FIELDS - {"email"}
    if unknown:
        raise DomainError(
            _("Not editable here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}, field=sorted(unknown)[0]
        )
    if "email" in changes:
        email = email_normalise(changes["email"])
        if Lead.objects.filter(email=email).exclude(pk=lead.pk).exists():
            raise DomainError(_("Another lead already has this email."), field="email")
    deal_value_check(changes.get("deal_value", lead.deal_value))


@transaction.atomic
def lead_update(*, lead: Lead | int, changes: dict, by=None, source: str = ChangeOrigin.API) -> Lead:
    """Change contact and attribution fields. Stage, lost and owner have their own services. The fields
    whose value differs are recorded in the history (an ``edited`` entry: each field before and after, by
    whom, from where); a change that changes nothing writes nothing."""
    lead = _locked(lead)
    lead_changes_check(lead=lead, changes=changes)
    _edit(lead, changes, by=by, source=source)
    return lead


def _edit(lead: Lead, changes: dict, *, by, source: str) -> None:
    """Apply checked field changes to a locked lead: save, record an ``edited`` entry, rescore."""
    normalise = {"email": email_normalise, "keyword": lead_keyword}
    after = {name: normalise[name](value) if name in normalise else value for name, value in changes.items()}
    edited = _changes({name: getattr(lead, name) for name in after}, after)
    if not edited:
        return
    for name in edited:
        setattr(lead, name, after[name])
    lead.save()
    _record(
        lead,
        StageTransition.Kind.EDITED,
        at=timezone.now(),
        by=by,
        source=source,
        from_stage=lead.stage,
        to_stage=lead.stage,
        changes=edited,
    )
    lead_score_refresh(lead=lead, by=by)


def lead_add_note(*, lead: Lead, body: str, by=None) -> LeadNote:
    if not body.strip():
        raise DomainError(_("A note cannot be empty."), field="body")
    return LeadNote.objects.create(lead=lead, body=body.strip(), author=by)


def lead_record_activity(*, lead: Lead, kind: str, ref: str = "", at: datetime | None = None) -> LeadActivity:
    activity = LeadActivity.objects.create(lead=lead, kind=kind, ref=ref, at=at or timezone.now())
    lead_score_refresh(lead=lead)
    return activity


def lead_settings() -> LeadSettings:
    settings, __ = LeadSettings.objects.get_or_create(pk=1)
    return settings


@transaction.atomic
def lead_erase(*, lead: Lead | int, block_recapture: bool | None = None, by=None) -> None:
    """GDPR erasure: the lead, its history, notes and activities. With ``block_recapture`` (default:
    the client's setting) only a hash of the email is kept, to refuse capturing it again. The agency's
    audit log records it (``by``: who asked), naming the lead by its id only."""
    lead = _locked(lead)
    if block_recapture is None:
        block_recapture = lead_settings().block_erased_emails
    if block_recapture:
        ErasedEmail.objects.get_or_create(email_hash=email_hash(lead.email))
    lead_id = lead.pk  # delete() clears it
    lead.delete()
    audit_record_in_current_client(actor=by, action=AuditAction.LEAD_ERASED, target=lead_id)


def email_is_erased(email: str) -> bool:
    return ErasedEmail.objects.filter(email_hash=email_hash(email)).exists()


def lead_score_refresh(
    *,
    lead: Lead,
    by=None,
    rules: list[ScoringRule] | None = None,
    activity_counts: dict[str, int] | None = None,
    settings: LeadSettings | None = None,
) -> Lead:
    """Recompute the lead's score and, when it first reaches the MQL threshold, move it to MQL. The
    rules, the lead's activity counts and the settings are read unless the caller already has them."""
    score = lead_score_compute(lead=lead, rules=rules, activity_counts=activity_counts)
    if score != lead.score:
        lead.score = score
        Lead.objects.filter(pk=lead.pk).update(score=score)
    threshold = (settings or lead_settings()).mql_threshold
    if (
        threshold is not None
        and score >= threshold
        and not lead.is_lost  # a lost lead keeps its stage until re-opened
        and lead.scoring_promoted_at is None
        and stage_rank(lead.stage) < stage_rank(Stage.MQL)
        and lead.mql_at is None
    ):
        now = timezone.now()
        lead = lead_move_stage(
            lead=lead,
            to=Stage.MQL,
            at=max(now, lead.created_at),
            by=None,
            reason=f"score {score} ≥ {threshold}",
            source=ChangeOrigin.SCORING,
        )
        lead.scoring_promoted_at = now
        Lead.objects.filter(pk=lead.pk).update(scoring_promoted_at=now)
    return lead


def scoring_rule_validate(*, field: str, operator: str, value: str) -> None:
    """Rules must be evaluable: activity rules name an activity kind, numeric fields take numbers. The
    rule of the API, the admin's form (``clean``) and the services that write rules."""
    if field == ScoringRule.Field.ACTIVITY:
        if value.strip() not in LeadActivity.Kind.values:
            raise DomainError(
                _("An activity rule counts one of: %(kinds)s.") % {"kinds": ", ".join(LeadActivity.Kind.values)},
                field="value",
            )
        return
    if field == ScoringRule.Field.COMPANY_SIZE:
        parts = value.split(",") if operator == ScoringRule.Operator.ONE_OF else [value]
        if not all(p.strip().isdigit() for p in parts):
            raise DomainError(_("Company size rules compare whole numbers."), field="value")
    elif operator in (ScoringRule.Operator.AT_LEAST, ScoringRule.Operator.AT_MOST):
        raise DomainError(_("'at least' and 'at most' only apply to company size."), field="operator")


SCORING_RULE_FIELDS = ("name", "field", "operator", "value", "points", "max_points", "is_active")


@transaction.atomic
def scoring_rule_create(**values) -> ScoringRule:
    """Add a rule (the fields of SCORING_RULE_FIELDS) and rescore every lead, as the API and the admin do."""
    rule = ScoringRule(**values)
    scoring_rule_validate(field=rule.field, operator=rule.operator, value=rule.value)
    rule.save()
    leads_rescore_all()
    return rule


@transaction.atomic
def scoring_rule_update(*, rule: ScoringRule, changes: dict) -> ScoringRule:
    """Change some of a rule's fields, judged with the others as they are, and rescore every lead."""
    unknown = set(changes) - set(SCORING_RULE_FIELDS)
    if unknown:
        raise DomainError(
            _("Not editable here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}, field=sorted(unknown)[0]
        )
    rule = ScoringRule.objects.select_for_update().get(pk=rule.pk)
    for name, value in changes.items():
        setattr(rule, name, value)
    scoring_rule_validate(field=rule.field, operator=rule.operator, value=rule.value)
    rule.save()
    leads_rescore_all()
    return rule


@transaction.atomic
def scoring_rules_delete(*, rules) -> int:
    """Delete rules (instances or a queryset) and rescore every lead once; returns how many went."""
    deleted, _by_model = ScoringRule.objects.filter(pk__in=[rule.pk for rule in rules]).delete()
    if deleted:
        leads_rescore_all()
    return deleted


@transaction.atomic
def leads_rescore_all() -> int:
    """Recompute every lead's score (after the rules or the threshold changed); returns how many
    scores changed."""
    return leads_rescore()


@transaction.atomic
def lead_settings_update(*, mql_threshold: int | None, block_erased_emails: bool) -> LeadSettings:
    settings = lead_settings()
    threshold_changed = settings.mql_threshold != mql_threshold
    settings.mql_threshold, settings.block_erased_emails = mql_threshold, block_erased_emails
    settings.save()
    if threshold_changed:
        leads_rescore_all()
    return settings
