"""Reads of the CRM for the sales screens. Every function runs a fixed number of queries, whatever
the number of leads (the screens' tests count them)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import Case, CharField, Count, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber

from campaigns.channels import channel_label
from campaigns.models import Campaign, Channel, LandingPage, Offer
from leads.models import STAGE_ORDER, CaptureForm, Lead, LeadNote, Stage, StageTransition
from tenants.access import ClientAccess
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Client, Membership, Role, User

BOARD_CARDS_PER_STAGE = 50
# What a card shows: loading only these keeps a 200-card board light.
CARD_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "stage",
    "score",
    "deal_value",
    "updated_at",
    "owner__id",
    "owner__email",
    "owner__full_name",
)
LIST_ORDERINGS = {
    # ?o=<key> (or -<key>) → the ordering it means; pk breaks ties so pages never overlap.
    "created": ("created_at",),
    "updated": ("updated_at",),
    "name": ("last_name", "first_name", "email"),
    "company": ("company",),
    "stage": ("stage_rank",),
    "score": ("score",),
    "value": ("deal_value",),
    "owner": ("owner__email",),
}
DEFAULT_LIST_ORDERING = "-created"


def stage_rank_expression() -> Case:
    """A stage's position in the pipeline, for ordering (alphabetical order means nothing)."""
    return Case(
        *(When(stage=stage, then=Value(rank)) for rank, stage in enumerate(STAGE_ORDER)), output_field=IntegerField()
    )


@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal(0)
    # Its leads without a deal value: for the customer column, the customers whose amount is missing.
    without_value: int = 0
    cards: list[Lead] = field(default_factory=list)
    previous: Stage | None = None
    next: Stage | None = None

    @property
    def hidden(self) -> int:
        """Open leads of this stage that the column does not show."""
        return max(self.count - len(self.cards), 0)


def board_columns(leads: QuerySet[Lead], *, per_stage: int = BOARD_CARDS_PER_STAGE) -> list[BoardColumn]:
    """The pipeline of the leads of ``leads`` (already filtered) that are not lost: one column per stage
    with its count, total deal value and count without a deal value (one GROUP BY query) and its first
    ``per_stage`` cards, the most recently changed first (one query, ranked per stage by a window
    function). The customer column holds the deals won; :func:`pipeline_totals` sums the rest."""
    open_leads = leads.filter(is_lost=False)
    columns = {stage: BoardColumn(stage=stage) for stage in STAGE_ORDER}
    for index, stage in enumerate(STAGE_ORDER):
        columns[stage].previous = STAGE_ORDER[index - 1] if index > 0 else None
        columns[stage].next = STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None
    totals = (
        open_leads.order_by()
        .values("stage")
        .annotate(n=Count("pk"), total=Sum("deal_value"), without_value=Count("pk", filter=Q(deal_value__isnull=True)))
    )
    for row in totals:
        if row["stage"] in columns:
            columns[row["stage"]].count = row["n"]
            columns[row["stage"]].total = row["total"] or Decimal(0)
            columns[row["stage"]].without_value = row["without_value"]
    cards = (
        open_leads.select_related("owner")
        .only(*CARD_FIELDS)
        .annotate(
            position=Window(RowNumber(), partition_by=F("stage"), order_by=[F("updated_at").desc(), F("pk").desc()])
        )
        .filter(position__lte=per_stage)
        .order_by("stage", "position")
    )
    for lead in cards:
        if lead.stage in columns:
            columns[lead.stage].cards.append(lead)
    return [columns[stage] for stage in STAGE_ORDER]


@dataclass(frozen=True)
class PipelineTotals:
    """The board's summary: leads still open (neither customers nor lost) and the deals won."""

    open_count: int
    open_value: Decimal
    customer_count: int
    customer_value: Decimal
    customers_without_value: int


def pipeline_totals(columns: list[BoardColumn]) -> PipelineTotals:
    """Sums of :func:`board_columns`: "open" stops before customer (a customer is a deal won, not one in
    progress); the customers' own count and value, and how many of them miss their amount."""
    still_open = [column for column in columns if column.stage != Stage.CUSTOMER]
    won = next(column for column in columns if column.stage == Stage.CUSTOMER)
    return PipelineTotals(
        open_count=sum(column.count for column in still_open),
        open_value=sum((column.total for column in still_open), Decimal(0)),
        customer_count=won.count,
        customer_value=won.total,
        customers_without_value=won.without_value,
    )


def lead_list_queryset(leads: QuerySet[Lead], ordering: str) -> tuple[QuerySet[Lead], str]:
    """``leads`` (already filtered) in the order ``ordering`` names (see LIST_ORDERINGS); an unknown
    ordering falls back to the default. Returns the queryset and the ordering actually applied."""
    key = ordering.removeprefix("-")
    if key not in LIST_ORDERINGS:
        ordering, key = DEFAULT_LIST_ORDERING, DEFAULT_LIST_ORDERING.removeprefix("-")
    descending = ordering.startswith("-")
    fields = [
        F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True) for name in LIST_ORDERINGS[key]
    ]
    fields.append(F("pk").desc() if descending else F("pk").asc())
    queryset = leads.select_related("owner", "channel").annotate(stage_rank=stage_rank_expression()).order_by(*fields)
    return queryset, ordering


def lead_for_page(pk: int) -> QuerySet[Lead]:
    """One lead with everything its page shows, in three queries: the lead with its attribution and
    owner, its history (newest first) with who did each change, and its notes with their authors."""
    return (
        Lead.objects.filter(pk=pk)
        .select_related("channel", "campaign", "offer", "landing_page", "owner")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=StageTransition.objects.select_related("by").order_by("-recorded_at", "-pk"),
                to_attr="history",
            ),
            Prefetch("notes", queryset=LeadNote.objects.select_related("author").order_by("-created_at", "-pk")),
        )
    )


def _writing_roles(client: Client, roles) -> list[str]:
    # "May write" has one definition, in tenants.access; ask it rather than restating it.
    return [role.value for role in roles if ClientAccess(client=client, role=Role(role)).can_write]


def lead_owners(client: Client) -> QuerySet[User]:
    """The one definition of who may own ``client``'s leads: active users whose membership lets them
    write there (``client_access_for``), i.e. the client's own managers and sales people and the
    owners and staff of its agency. Platform superusers may write everywhere but are not sales
    people: not included. Every owner choice and check (admin, API, sales screens, imports) asks this."""
    reaches = Q(client_id=client.pk, role__in=_writing_roles(client, CLIENT_ROLES))
    if client.agency_id is not None:
        reaches |= Q(agency_id=client.agency_id, role__in=_writing_roles(client, AGENCY_ROLES))
    return User.objects.filter(is_active=True, pk__in=Membership.objects.filter(reaches).values("user_id"))


def assignable_users(client: Client) -> list[User]:
    """:func:`lead_owners` for a select, by email, in one query."""
    return list(lead_owners(client).only("id", "email", "full_name").order_by("email"))


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Keys and names of the channels, campaigns and offers, for the filter selects (one query)."""
    kinds = {"channel": Channel, "campaign": Campaign, "offer": Offer}
    parts = [
        model.objects.annotate(filter_name=Value(kind, output_field=CharField()))
        .values_list("filter_name", "key", "name")
        .order_by()
        for kind, model in kinds.items()
    ]
    choices: dict[str, list[tuple[str, str]]] = {kind: [] for kind in kinds}
    for kind, key, name in parts[0].union(*parts[1:], all=True).order_by("name", "key"):
        choices[kind].append((key, channel_label(key, name) if kind == "channel" else name))
    # Built-in channels are named in the page's language: sorted by what the reader sees.
    choices["channel"].sort(key=lambda choice: (choice[1].casefold(), choice[0]))
    return choices


# --- The capture endpoint's form -------------------------------------------------------------------

CAPTURE_FORMS_KEPT = 256  # forms (of any client) one process keeps built
_capture_forms: OrderedDict[tuple[str, str], tuple[tuple, CaptureForm]] = OrderedDict()


@cache
def _capture_form_rows_sql() -> str:
    """The rows an active form carries (itself, its offer, landing page and campaign, the campaign's
    channel), each as PostgreSQL's text of the whole row."""
    table = {
        model: connection.ops.quote_name(model._meta.db_table) for model in (Offer, LandingPage, Campaign, Channel)
    }
    return f"""
        SELECT f::text, o::text, lp::text, c::text, ch::text
        FROM {connection.ops.quote_name(CaptureForm._meta.db_table)} f
        LEFT JOIN {table[Offer]} o ON o.id = f.offer_id
        LEFT JOIN {table[LandingPage]} lp ON lp.id = f.landing_page_id
        LEFT JOIN {table[Campaign]} c ON c.id = f.campaign_id
        LEFT JOIN {table[Channel]} ch ON ch.id = c.channel_id
        WHERE f.key = %s AND f.is_active
    """  # noqa: S608 (identifiers come from the models, the key is a parameter)


def capture_form_active(key: str) -> CaptureForm | None:
    """The current client's active capture form ``key``, with its offer, landing page, campaign and the
    campaign's channel; None if there is none.

    Every public submission starts here, and building the form through the ORM cost more CPU than
    anything else the endpoint reads. So each call asks PostgreSQL for the rows the form is made of,
    as text, in one raw query (no ORM compilation); when they are exactly the rows this process last
    built the form from, that form is returned again, else it is built afresh. A change to any of
    those rows, in any process, is therefore seen by the next request, as with a plain query."""
    with connection.cursor() as cursor:
        cursor.execute(_capture_form_rows_sql(), [key])
        rows = cursor.fetchone()
    if rows is None:
        return None
    cache_key = (connection.schema_name, key)
    kept = _capture_forms.get(cache_key)
    if kept is not None and kept[0] == rows:
        _capture_forms.move_to_end(cache_key)
        return kept[1]
    form = (
        CaptureForm.objects.select_related("offer", "landing_page", "campaign__channel")
        .filter(key=key, is_active=True)
        .first()
    )
    if form is not None:
        # Rows changed between the two reads are stored with the older text: the next call rebuilds.
        _capture_forms[cache_key] = (rows, form)
        _capture_forms.move_to_end(cache_key)
        while len(_capture_forms) > CAPTURE_FORMS_KEPT:
            _capture_forms.popitem(last=False)
    return form
