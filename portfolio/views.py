"""The agency portfolio page (the public root for agency people): the clients the user may see in
one table, worst first, a page at a time (sorted, filtered and paged in SQL): the headline KPIs of
the last complete month with their status and change, this month's pacing, and a sparkline of the
complete months. From the public schema's headline copies only, for the page's clients only (a fixed
number of queries however many clients)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.first_steps import FirstSteps, first_steps_for
from config.errors import DomainError
from dashboards.cards import Spark, sparkline
from dashboards.formatting import NUMBER, Formatter
from dashboards.labels import anomaly_words, needed_words, projection_words, status_symbol, status_words
from dashboards.tone import change_tone, tone, tone_words
from kpis.models import PeriodKind
from kpis.registry import KPIS
from portfolio import services
from portfolio.client_rules import agencies_creating_clients, archived_clients_for
from portfolio.models import HEADLINE_CANDIDATES, MAX_HEADLINES
from portfolio.selectors import (
    MAX_PAGE_SIZE,
    MAX_SEARCH,
    PAGE_SIZE,
    SORTS,
    HeadlineChoice,
    PortfolioRow,
    clients_page,
    headline_choice_for,
    portfolio_clients,
    portfolio_for,
)
from tenants.access import Visibility, visibility_for
from tenants.urlconfs import client_url


def escape(text) -> str:
    """Django's ``conditional_escape`` without its wrapper for lazy strings, which cost more than the
    escaping itself at some 2,000 calls a page: markup kept, anything else through ``html.escape``,
    as Django's ``escape`` does (the same characters, the same entities)."""
    return text.__html__() if hasattr(text, "__html__") else html.escape(str(text))


@dataclass(frozen=True)
class HeadlineCell:
    kpi: str
    value: str
    change: str | None
    tone: str  # the change judged by the KPI's better direction (dashboards.tone), as on the cards
    tone_text: str
    status: str | None
    status_text: str
    status_symbol: str
    anomaly: str | None  # its direction
    anomaly_text: str
    anomaly_tone: str

    @property
    def td(self) -> SafeString:
        """The cell's ``<td>``, drawn here rather than in the template: a page has some 250 cells, and
        the template language took longer to draw them than everything else on the page (f-strings
        rather than ``format_html``, each value escaped once: a third of the cost)."""
        anomaly = ""
        if self.anomaly:
            arrow = "⚠" if self.anomaly_tone == "bad" else "▲" if self.anomaly == "up" else "▼"
            words = f"{escape(_('Anomaly'))}: {escape(self.anomaly_text)}"
            anomaly = (
                f' <span class="portfolio-anomaly tone-{escape(self.anomaly_tone)}" title="{words}">{arrow}'
                f'<span class="visually-hidden">{words}</span></span>'
            )
        change = ""
        if self.change:
            tone_word = f' <span class="tone-word">{escape(self.tone_text)}</span>' if self.tone_text else ""
            change = f'<br><span class="small tone-{escape(self.tone)}">{escape(self.change)}{tone_word}</span>'
        status = ""
        if self.status:
            status = (
                f'<br><span class="small"><span class="status-chip" aria-hidden="true">{escape(self.status_symbol)}'
                f"</span> {escape(self.status_text)}</span>"
            )
        return mark_safe(  # noqa: S308 (every value above is escaped)
            f'<td class="num status-{escape(self.status or "none")}" data-kpi="{escape(self.kpi)}">\n'
            f"        {escape(self.value)}{anomaly}\n        {change}\n        {status}\n      </td>"
        )


@dataclass(frozen=True)
class Projected:
    value: str  # projected / month target: ``212 / 240``
    kpi: str  # the KPI's name
    needed: str  # ``il faut 4,3 par jour``, empty on the month's last day
    status: str | None
    status_text: str
    status_symbol: str
    misses: str  # how many objectives fall short, when some do among several
    words: str  # the whole line, as the dashboard's pacing chart says it


def _projected(pulse, fmt: Formatter, language: str) -> Projected | None:
    if pulse is None or pulse.projection is None:
        return None
    misses = ""
    if pulse.objectives > 1 and pulse.misses:  # with one objective, or none short, the status says it
        misses = ngettext(
            "%(misses)s of %(objectives)s objective projected short",
            "%(misses)s of %(objectives)s objectives projected short",
            pulse.objectives,
        ) % {"misses": pulse.misses, "objectives": pulse.objectives}
    return Projected(
        f"{fmt.value(pulse.projected, NUMBER)} / {fmt.value(pulse.month_target, NUMBER)}",
        # a custom KPI's name lives in its client's schema: its key says which one
        KPIS[pulse.projection_kpi].name(language) if pulse.projection_kpi in KPIS else pulse.projection_kpi,
        needed_words(fmt, pulse.needed_per_day),
        pulse.projection_status,
        status_words(pulse.projection_status),
        status_symbol(pulse.projection_status),
        misses,
        projection_words(
            fmt,
            projected=pulse.projected,
            month_target=pulse.month_target,
            needed_per_day=pulse.needed_per_day,
            status=pulse.projection_status,
        ),
    )


class _PageWords:
    """The words of a status, an anomaly or a change's tone, looked up once per value and page (a page
    of 50 rows has some 250 cells, all in the page's language) rather than through gettext per cell;
    and the few words every row repeats."""

    def __init__(self):
        self._status: dict[str | None, tuple[str, str]] = {}
        self._anomaly: dict[str | None, str] = {}
        self._tone: dict[str, str] = {}
        self.needs_attention = _("Needs attention")
        self.not_computed = _("not computed yet")
        self.settings = _("Settings")
        self.leads_per_month = _("Leads per month")

    def status(self, status: str | None) -> tuple[str, str]:
        """The status' words and symbol."""
        if status not in self._status:
            self._status[status] = (status_words(status), status_symbol(status))
        return self._status[status]

    def anomaly(self, direction: str | None) -> str:
        if direction not in self._anomaly:
            self._anomaly[direction] = anomaly_words(direction)
        return self._anomaly[direction]

    def tone(self, value) -> str:
        if value not in self._tone:
            self._tone[value] = tone_words(value)
        return self._tone[value]


@dataclass(frozen=True)
class PortfolioLine:
    row: PortfolioRow
    cells: list[HeadlineCell]
    month: str | None  # the month its headlines show (PortfolioRow.reported_month, as the API)
    pacing: str
    pacing_status: str | None
    pacing_status_text: str
    spark: Spark | None
    projection: Projected | None  # this month's weakest month-end projection (docs/kpis.md §5)
    words: _PageWords

    @property
    def tr(self) -> SafeString:
        """The row's ``<tr>``, drawn here rather than in the template, as :attr:`HeadlineCell.td` and for
        the same reason: the template language took most of the page's time (the markup is the same,
        byte for byte, as the template's was; every value escaped as the template escaped it)."""
        row, words = self.row, self.words
        client = row.access.client
        attention = row.needs_attention
        agency = client.agency.name if client.agency is not None else ""
        month = f" · {escape(self.month)}" if self.month else ""
        never = f" · {escape(words.not_computed)}" if row.pulse is None else ""
        badge = f'<span class="attention-badge">{escape(words.needs_attention)}</span>' if attention else ""
        head = [
            f'<tr class="portfolio-row{" needs-attention" if attention else ""}" data-client="{escape(client.slug)}">\n'
            f'      <th scope="row"><a href="{escape(client_url(client, "client-home"))}">{escape(client.name)}</a>\n'
            f"        {badge}\n"
            f'        <br><span class="small muted">{escape(agency)}{month}{never}</span>\n        '
        ]
        if row.sources:
            head.append('<br><span class="source-badges" data-testid="source-badges">')
            for source in row.sources:
                title = f' title="{escape(source.last_error)}"' if source.last_error else ""
                head.append(
                    f'<span class="source-badge source-{escape(source.status)}" data-source="{escape(source.kind)}"'
                    f"{title}>{escape(source.platform)} · {escape(source.status_text)}</span> "
                )
            head.append("</span>")
        head.append("\n        ")
        if row.access.is_agency:
            settings_url = reverse("client-settings", args=[client.slug])
            head.append(
                f'<br><a class="small" href="{escape(settings_url)}" data-testid="client-settings-link">'
                f"{escape(words.settings)}</a>"
            )
        head.append("</th>\n      ")
        cells = "".join(f"\n      {cell.td}\n      " for cell in self.cells)
        pacing_text = f'<br><span class="small">{escape(self.pacing_status_text)}</span>' if self.pacing_status else ""
        pacing = (
            f'\n      <td class="num status-{escape(self.pacing_status or "none")}" data-kpi="pacing">'
            f"{escape(self.pacing)}{pacing_text}</td>\n      "
        )
        tail = f"{self._projection_td()}\n      {self._spark_td()}\n    </tr>"
        return mark_safe("".join(head) + cells + pacing + tail)  # noqa: S308 (every value is escaped)

    def _projection_td(self) -> str:
        p = self.projection
        if p is None:
            return '<td class="num status-none" data-kpi="projection">—</td>'
        needed = f" · {escape(p.needed)}" if p.needed else ""
        status = (
            f'<br><span class="small"><span class="status-chip" aria-hidden="true">{escape(p.status_symbol)}</span> '
            f"{escape(p.status_text)}</span>"
            if p.status
            else ""
        )
        misses = f'<br><span class="small">{escape(p.misses)}</span>' if p.misses else ""
        return (
            f'<td class="num status-{escape(p.status or "none")}" data-kpi="projection" title="{escape(p.kpi)} — '
            f'{escape(p.words)}">{escape(p.value)}\n'
            f'        <br><span class="small muted">{escape(p.kpi)}{needed}</span>\n'
            f"        {status}\n        {misses}</td>"
        )

    def _spark_td(self) -> str:
        spark = self.spark
        if spark is None:
            return "<td>—</td>"
        marks = "".join(
            f'<g class="tone-{escape(tone_)}">'
            f'<circle class="spark-anomaly" cx="{escape(x)}" cy="{escape(y)}" r="3"/></g>'
            for x, y, tone_ in spark.marks
        )
        return (
            '<td><svg class="sparkline" viewBox="0 0 120 32" width="120" height="32" role="img" '
            f'aria-label="{escape(self.words.leads_per_month)}: {escape(spark.label)}">'
            f'<polyline points="{escape(spark.points)}"/>{marks}</svg></td>'
        )


def _line(row: PortfolioRow, language: str, kpis: tuple[str, ...], words: _PageWords) -> PortfolioLine:
    fmt = Formatter(language, row.access.client.currency)
    cells = []
    for kpi in kpis:
        latest, unit = row.reported(kpi), KPIS[kpi].unit
        value = latest.value if latest else None
        status = latest.status if latest else None
        anomaly = latest.anomaly if latest else None
        change_is = change_tone(kpi, value, latest.previous_value) if latest else tone(kpi, None)
        cells.append(
            HeadlineCell(
                kpi,
                fmt.value(value, unit),
                fmt.change(value, latest.previous_value, unit) if latest else None,
                change_is.value,
                words.tone(change_is),
                status,
                *words.status(status),
                anomaly or None,
                words.anomaly(anomaly),
                tone(kpi, anomaly).value,
            )
        )
    leads = row.complete_months("leads")
    spark = sparkline(
        "leads",
        [m.value for m in leads],
        [m.anomaly for m in leads],
        ", ".join(f"{fmt.short_period(m.start, 'month')} {fmt.value(m.value, 'count')}" for m in leads),
    )
    pulse = row.pulse
    pacing_status = pulse.pacing_status if pulse else None
    month = fmt.period(row.reported_month, PeriodKind.MONTH) if row.reported_month else None
    return PortfolioLine(
        row,
        cells,
        month,
        fmt.value(pulse.pacing if pulse else None, "rate"),
        pacing_status,
        words.status(pacing_status)[0],
        spark,
        _projected(pulse, fmt, language),
        words,
    )


def _options(chosen: str, candidates: list[tuple[str, str]]) -> SafeString:
    """A column's ``<option>``s, ``chosen`` selected (none for an empty column)."""
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(
            f'<option value="{escape(key)}"{" selected" if key == chosen else ""}>{escape(name)}</option>'
            for key, name in candidates
        )
    )


def _headline_form(choice: HeadlineChoice, language: str, posted: list[str] | None, errors: dict | None) -> dict | None:
    """The form of the portfolio's columns, for those who may change them: one choice per column."""
    if not choice.can_change:
        return None
    chosen = list(choice.kpis if posted is None else posted)
    chosen += [""] * (MAX_HEADLINES - len(chosen))
    candidates = [(k, KPIS[k].name(language)) for k in HEADLINE_CANDIDATES]
    return {
        "agency": choice.agency,
        "chosen": choice.chosen,
        # each column's <option>s, drawn here: the template language took longer over their 90 than over
        # the rest of the page
        "columns": [(position, _options(key, candidates)) for position, key in enumerate(chosen[:MAX_HEADLINES], 1)],
        "errors": [message for messages_ in (errors or {}).values() for message in messages_],
    }


@dataclass(frozen=True)
class PortfolioFilters:
    """The portfolio page's sort, filters and page, read leniently: a value it does not know falls
    back to its default (the API answers 400 instead)."""

    sort: str = "attention"
    attention: bool = False
    q: str = ""
    page_size: int = PAGE_SIZE

    @classmethod
    def from_query(cls, query) -> PortfolioFilters:
        sort = query.get("sort") if query.get("sort") in SORTS else "attention"  # old links: sort=worst
        try:
            page_size = int(query.get("page_size", PAGE_SIZE))
        except ValueError:
            page_size = PAGE_SIZE
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            page_size = PAGE_SIZE
        return cls(
            sort, query.get("attention") == "1", query.get("q", "").replace("\x00", "").strip()[:MAX_SEARCH], page_size
        )

    def query(self, **changes) -> str:
        """The query string of these filters with ``changes`` (defaults left out): links keep them."""
        values = {"sort": self.sort, "attention": "1" if self.attention else "", "q": self.q}
        values |= {"page_size": self.page_size if self.page_size != PAGE_SIZE else ""} | changes
        values = {k: v for k, v in values.items() if v not in ("", None) and not (k == "sort" and v == "attention")}
        return "?" + urlencode(values)


def _page_number(value: str | None) -> int | None:
    """The page asked for, from 1 (none: the first); None for a number ``Paginator.get_page`` must read
    (not a number, or below 1)."""
    try:
        number = 1 if value is None else int(value)
    except ValueError:
        return None
    return number if number >= 1 else None


def portfolio_page(
    request: HttpRequest,
    visibility: Visibility,
    first_steps: FirstSteps | None = None,
    *,
    is_agency: bool = False,
    posted: list[str] | None = None,
    errors: dict | None = None,
) -> HttpResponse:
    """One page of the portfolio (:class:`PortfolioFilters`): the clients sorted, filtered and paged in
    SQL, and the rows of the page's clients only. ``is_agency``: the user reaches clients as agency
    people; ``posted`` and ``errors``: a refused choice of columns, shown back in its form (a 400)."""
    filters = PortfolioFilters.from_query(request.GET)
    clients = portfolio_clients(visibility, sort=filters.sort, attention_only=filters.attention, q=filters.q)
    # The page and the count in one query; a page number it cannot read: the first page; past the last
    # (or below 1): the last one, as Django's paginator has it (a count, then the page).
    number = _page_number(request.GET.get("page"))
    page = clients_page(clients, filters.page_size, number) if number else None
    if page is None:
        page = Paginator(clients, filters.page_size).get_page(request.GET.get("page"))
    choice = headline_choice_for(visibility, shown=page.object_list)
    accesses = [visibility.access(client) for client in page.object_list]
    rows = portfolio_for(request.user, accesses=accesses, sort=None, kpis=choice.kpis)
    filtered = filters.attention or bool(filters.q)
    language = translation.get_language()
    words = _PageWords()
    # Agency people create client accounts (no query then); owners see their archived ones, to
    # restore them (one query).
    can_create = is_agency or bool(agencies_creating_clients(request.user))
    return render(
        request,
        "portfolio/portfolio.html",
        {
            "lines": [_line(row, language, choice.kpis, words) for row in rows],
            "headline_names": [KPIS[k].name(language) for k in choice.kpis],
            "headline_form": _headline_form(choice, language, posted, errors),
            "filters": filters,
            "attention": filters.attention,
            "sort": filters.sort,
            "page": page,
            "pages": {
                "previous": filters.query(page=page.previous_page_number()) if page.has_previous() else None,
                "next": filters.query(page=page.next_page_number()) if page.has_next() else None,
                "first": filters.query(page=1) if page.number > 2 else None,
                "last": filters.query(page=page.paginator.num_pages)
                if page.number < page.paginator.num_pages - 1
                else None,
            },
            "links": {
                "all": filters.query(attention="", page=None),
                "attention": filters.query(attention="1", page=None),
                "worst": filters.query(sort="attention", page=None),
                "name": filters.query(sort="name", page=None),
                "clear_search": filters.query(q="", page=None),
            },
            "matching": page.paginator.count,
            # every client, when a filter hides some (one more query then)
            "total": visibility.clients().count() if filtered else page.paginator.count,
            "filtered": filtered,
            "first_steps": first_steps,
            "can_create": can_create,
            "archived": list(archived_clients_for(request.user)),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def headlines_update(request: HttpRequest) -> HttpResponse:
    """Choose the headline KPIs of the portfolio (its agency's owners): ``column_1``… in order, or
    ``action=reset`` for Pouls' default. The agency is the one whose portfolio the person sees."""
    visibility = visibility_for(request.user)
    choice = headline_choice_for(visibility)
    if choice.agency is None:
        raise Http404("No portfolio")
    if not choice.can_change:
        raise PermissionDenied("Agency owners choose the headline KPIs")
    if request.POST.get("action") == "reset":
        services.headline_choice_save(agency=choice.agency, kpis=None)
        messages.success(request, _("The portfolio shows Pouls' default headline KPIs again."))
        return redirect("home")
    posted = [request.POST.get(f"column_{n}", "").strip() for n in range(1, MAX_HEADLINES + 1)]
    try:
        services.headline_choice_save(agency=choice.agency, kpis=posted)
    except DomainError as error:
        return portfolio_page(
            request, visibility, is_agency=True, posted=[k for k in posted if k], errors=error.as_dict()
        )
    messages.success(request, _("Headline KPIs saved for everyone in %(agency)s.") % {"agency": choice.agency.name})
    return redirect("home")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The public root. Agency people get the portfolio of every client they may see; a client's own
    people, the client switcher, or straight their dashboard when they can enter exactly one client."""
    visibility = visibility_for(request.user)
    if visibility.agency_clients().exists():
        return portfolio_page(request, visibility, is_agency=True)
    # Otherwise the user reaches clients through their own memberships only: a short list.
    accesses = [visibility.access(client) for client in visibility.clients().select_related("agency").order_by("name")]
    if not accesses and (first_steps := first_steps_for(request.user)) is not None:
        return portfolio_page(request, visibility, first_steps)  # a new agency: its empty portfolio and a guide
    if not accesses and agencies_creating_clients(request.user):
        return portfolio_page(request, visibility)  # an agency whose every client is archived
    if len(accesses) == 1:
        return redirect(client_url(accesses[0].client, "client-home"))
    return render(request, "tenants/home.html", {"accesses": accesses})
