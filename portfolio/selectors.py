"""The agency portfolio: every client a user may see, with its headline KPIs and its platform
sources' health, from the public schema only (a fixed number of queries however many clients)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import Lower

from connectors.models import Source, SourceKind, SourceStatus
from portfolio.models import HEADLINE_CANDIDATES, HEADLINE_KPIS, Headline, Pulse
from tenants.access import ClientAccess, Visibility, clients_visible_to
from tenants.models import Agency, Client, Role


@dataclass(frozen=True)
class HeadlineChoice:
    """The headline KPIs a portfolio shows: those its agency chose, or Pouls' default."""

    agency: Agency | None  # whose choice it is (None: no agency behind the clients listed)
    kpis: tuple[str, ...]
    chosen: bool  # False: Pouls' default
    can_change: bool  # the agency's owners (and superusers) change it


def agency_headline_kpis(agency: Agency | None) -> tuple[str, ...]:
    """The agency's own choice of headline KPIs, in its order, less any that is no longer a
    candidate; empty: no choice (or no agency), Pouls' default applies."""
    return tuple(k for k in (agency.headline_kpis if agency else []) if k in HEADLINE_CANDIDATES)


def headline_choice(accesses: list[ClientAccess]) -> HeadlineChoice:
    """The choice of the agency of the clients listed (from ``accesses``, whose clients carry their
    agency: no query). Several agencies (a superuser, someone in two agencies): the one with the most
    of them, then by name; the table has one set of columns. A choice naming a KPI that is no longer
    a candidate shows the rest of it."""
    counts: dict[int, tuple[int, Agency]] = {}
    for access in accesses:
        agency = access.client.agency
        if agency is not None:
            counts[agency.pk] = (counts.get(agency.pk, (0, agency))[0] + 1, agency)
    if not counts:
        return HeadlineChoice(None, HEADLINE_KPIS, False, False)
    agency = min(counts.values(), key=lambda pair: (-pair[0], pair[1].name))[1]
    # An agency owner holds the owner role on each of its clients (superusers on every client).
    owner = any(a.client.agency_id == agency.pk and a.role == Role.OWNER for a in accesses)
    kpis = agency_headline_kpis(agency)
    return HeadlineChoice(agency, kpis or HEADLINE_KPIS, bool(kpis), owner)


def headline_choice_for(visibility: Visibility, shown: Iterable[Client] = ()) -> HeadlineChoice:
    """:func:`headline_choice` in SQL, for the portfolio pages: the agency with the most clients
    visible (then by name) and its choice, without listing the clients (one query). ``shown``: clients
    the caller has read already with their agency (a page's): for someone who reaches clients through
    one agency only, every client they see is that agency's, so one of them shown names it (no query)."""
    sole = visibility.sole_agency_id()
    agency = next((c.agency for c in shown if sole is not None and c.agency_id == sole), None)
    if agency is not None:
        kpis = agency_headline_kpis(agency)
        return HeadlineChoice(agency, kpis or HEADLINE_KPIS, bool(kpis), visibility.owns_agency(agency.pk))
    top = (
        visibility.clients()
        .filter(agency__isnull=False)
        .values("agency_id")
        .annotate(clients=Count("pk"))
        .order_by("-clients", "agency__name", "agency_id")
        .values("agency_id")[:1]
    )
    agency = Agency.objects.filter(pk=Subquery(top)).first()
    if agency is None:
        return HeadlineChoice(None, HEADLINE_KPIS, False, False)
    kpis = agency_headline_kpis(agency)
    return HeadlineChoice(agency, kpis or HEADLINE_KPIS, bool(kpis), visibility.owns_agency(agency.pk))


SORTS = ("attention", "name")
# Pages by number rather than by cursor: the page says "page 3 of 20" and the API gives ``count`` (the
# clients are counted anyway, one indexed query on the public tables); the worst-first order runs on
# four nullable columns that a keyset cursor would have to encode; and a row moving between two pages
# while someone reads them (a refresh changed its state) is harmless in a list that is re-sorted at
# every refresh anyway.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH = 100  # characters of the name search ``q``
ATTENTION_FILTER = Q(pulse__red__gt=0) | Q(pulse__anomalies__gt=0)  # Pulse.needs_attention, in SQL


def portfolio_clients(
    visibility: Visibility, *, sort: str = "attention", attention_only: bool = False, q: str = ""
) -> QuerySet[Client]:
    """The clients of the portfolio, filtered and sorted in SQL on the public ``Pulse`` rows, the
    page's rows left to :func:`portfolio_for`. ``attention`` (worst first, the default) is
    :meth:`PortfolioRow.sort_key`: red statuses, then anomalies, then the weakest pacing (none last),
    never refreshed last, then by name; ``name``: by name, case aside. The primary key breaks the
    remaining ties, so that pages never share nor skip a client. Each client comes with its agency and
    its pulse (joined for the sort anyway), which :func:`portfolio_for` then does not query again."""
    clients = visibility.clients().select_related("agency", "pulse")
    if attention_only:
        clients = clients.filter(ATTENTION_FILTER)
    if q:
        clients = clients.filter(Q(name__icontains=q) | Q(slug__icontains=q))
    if sort == "name":
        return clients.order_by(Lower("name"), "pk")
    never = Case(When(pulse__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField())
    return clients.annotate(never_refreshed=never).order_by(
        "never_refreshed",
        F("pulse__red").desc(nulls_last=True),
        F("pulse__anomalies").desc(nulls_last=True),
        F("pulse__pacing").asc(nulls_last=True),
        "name",
        "pk",
    )


class _CountedPaginator(Paginator):
    """A paginator told its count (:func:`clients_page` read it with the page): no ``COUNT`` query."""

    def __init__(self, object_list, per_page: int, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # in place of the cached property's query


def clients_page(clients: QuerySet[Client], size: int, number: int) -> Page | None:
    """Page ``number`` (from 1) of ``clients`` (:func:`portfolio_clients`) and how many they are, in one
    query: the count rides on each row as a window (``COUNT(*) OVER ()``, taken before the ``LIMIT``)
    rather than in a query of its own. None for an empty page past the first (past the end): the caller
    counts then, as Django's paginator does. An empty first page is an empty portfolio (count 0)."""
    start = (number - 1) * size
    rows = list(clients.annotate(matching=Window(Count("pk")))[start : start + size])
    if not rows and number > 1:
        return None
    paginator = _CountedPaginator(clients, size, rows[0].matching if rows else 0)
    return Page(rows, number, paginator)


@dataclass(frozen=True)
class SourceHealth:
    """A client's platform source as the portfolio shows it: a badge per platform (its last error
    as the badge's title)."""

    kind: str
    status: str
    last_success_at: datetime | None
    last_error: str

    @property
    def platform(self) -> str:
        return str(SourceKind(self.kind).label)

    @property
    def status_text(self) -> str:
        return str(SourceStatus(self.status).label)


class HeadlineMonth(NamedTuple):
    """One month of one headline KPI as the portfolio reads it: the columns of a ``Headline`` row,
    without a model instance each (a page of 50 clients reads some 2,600 of them, and building model
    instances was most of the page's time)."""

    client_id: int
    kpi: str
    start: date
    value: float | None
    previous_value: float | None
    change: float | None
    target: float | None
    status: str | None
    anomaly: str | None
    is_partial: bool


@dataclass
class PortfolioRow:
    access: ClientAccess
    pulse: Pulse | None
    headlines: dict[str, list[HeadlineMonth]] = field(default_factory=dict)  # kpi → months, oldest first
    sources: list[SourceHealth] = field(default_factory=list)  # its platform sources, by kind

    @property
    def needs_attention(self) -> bool:
        return self.pulse is not None and self.pulse.needs_attention

    def latest(self, kpi: str) -> HeadlineMonth | None:
        months = self.headlines.get(kpi)
        return months[-1] if months else None

    def complete_months(self, kpi: str) -> list[HeadlineMonth]:
        """The months that have ended, oldest first (the one in progress left out)."""
        return [m for m in self.headlines.get(kpi, []) if not m.is_partial]

    @cached_property  # read once per headline column: the rows are complete when it is first read
    def reported_month(self) -> date | None:
        """The month the portfolio reports, on the page and in the API alike: the last complete one
        (a month in progress is not judged against a whole month's target), the latest any headline has."""
        starts = [m.start for kpi in self.headlines for m in self.complete_months(kpi)]
        return max(starts, default=None)

    def reported(self, kpi: str) -> HeadlineMonth | None:
        """``kpi``'s headline for the reported month (None when it has none for that month)."""
        month = self.reported_month
        return next((m for m in self.headlines.get(kpi, []) if m.start == month), None)

    def sort_key(self):
        """Worst first: red statuses, then anomalies, then the weakest pacing; never refreshed last."""
        if self.pulse is None:
            return (1, 0, 0, float("inf"), self.access.client.name)
        pacing = self.pulse.pacing if self.pulse.pacing is not None else float("inf")
        return (0, -self.pulse.red, -self.pulse.anomalies, pacing, self.access.client.name)


# Beat refreshes every active client every 15 minutes (kpis.refresh_due): a pulse older than this
# means the refresh has stopped for that client, and its numbers no longer say anything.
STALE_AFTER = timedelta(days=2)


def is_stale(row: PortfolioRow, *, now: datetime) -> bool:
    """Whether ``row``'s numbers are out of date: its last refresh (or, never refreshed, its
    creation) is more than ``STALE_AFTER`` before ``now``."""
    since = row.pulse.as_of if row.pulse is not None else row.access.client.created_at
    return since < now - STALE_AFTER


def _pulses(clients: list[Client]) -> dict[int, Pulse]:
    """The clients' pulses by client id: read from the clients when their query joined them
    (``select_related("pulse")``, no query), else in one query."""
    if all(Client.pulse.is_cached(client) for client in clients):
        # a client never refreshed has None cached, which the attribute raises on: getattr's default
        return {client.pk: pulse for client in clients if (pulse := getattr(client, "pulse", None)) is not None}
    return {p.client_id: p for p in Pulse.objects.filter(client_id__in=[client.pk for client in clients])}


def portfolio_for(
    user,
    *,
    attention_only: bool = False,
    accesses: list[ClientAccess] | None = None,
    sort: str | None = "worst",
    kpis: tuple[str, ...] | None = None,
) -> list[PortfolioRow]:
    """``accesses``: the user's, when the caller has them already (for a page: its clients', in the
    page's order, with ``sort=None`` to keep it); ``sort``: worst (default), name or None; ``kpis``:
    the headlines to read (default: :func:`headline_choice`'s), and always the leads (the sparkline).
    Two or three queries for the clients of ``accesses`` only (headlines, sources, and their pulses
    unless the clients carry them already: :func:`portfolio_clients`)."""
    accesses = clients_visible_to(user) if accesses is None else accesses
    kpis = headline_choice(accesses).kpis if kpis is None else kpis
    ids = [a.client.pk for a in accesses]
    pulses = _pulses([a.client for a in accesses])
    rows = {a.client.pk: PortfolioRow(access=a, pulse=pulses.get(a.client.pk)) for a in accesses}
    months = Headline.objects.filter(client_id__in=ids, kpi__in=sorted({*kpis, "leads"})).order_by("start")
    for headline in map(HeadlineMonth._make, months.values_list(*HeadlineMonth._fields)):
        rows[headline.client_id].headlines.setdefault(headline.kpi, []).append(headline)
    # The clients' sources in one query (the public table beside the clients).
    health = Source.objects.filter(client_id__in=ids).order_by("client_id", "kind")
    for client_id, *fields in health.values_list("client_id", "kind", "status", "last_success_at", "last_error"):
        rows[client_id].sources.append(SourceHealth(*fields))
    by_name = lambda row: row.access.client.name.lower()  # noqa: E731
    result = list(rows.values())
    if sort is not None:
        result.sort(key=by_name if sort == "name" else PortfolioRow.sort_key)
    return [row for row in result if row.needs_attention] if attention_only else result
