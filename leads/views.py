"""Sales screens of one client account (server-rendered): the pipeline board, the lead list and the
lead page. ``ClientAccessMiddleware`` has checked access before any of these runs (404 for people
outside the client, 403 for a viewer's POST).

Writes are POSTs to small views that validate a form, call one service of ``leads.services`` and
redirect (POST-redirect-GET); a refused change (``DomainError``) becomes a message on the page the
person came from, never an error page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.errors import DomainError
from leads import services
from leads.forms import AssignForm, LostForm, MoveForm, NoteForm, ReopenForm, lead_filterset
from leads.models import STAGE_ORDER, ChangeOrigin, Lead, Stage
from leads.selectors import (
    DEFAULT_LIST_ORDERING,
    LIST_ORDERINGS,
    assignable_users,
    board_columns,
    filter_choices,
    lead_for_page,
    lead_list_queryset,
)

LIST_PAGE_SIZE = 50
# Columns where the biggest or newest first is what people want on the first click.
DESCENDING_FIRST = frozenset({"created", "updated", "score", "value"})
# Filters folded under "More filters" (opened when one of them is set).
MORE_FILTERS = ("campaign", "offer", "created_from", "created_to", "stage", "lost")


def _query(request: HttpRequest, *, drop=(), **values) -> str:
    """The current query string without ``drop`` and with ``values`` set ("" if nothing is left)."""
    query = request.GET.copy()
    for name in (*drop, *values):
        query.pop(name, None)
    for name, value in values.items():
        if isinstance(value, list | tuple):
            query.setlist(name, value)
        elif value not in (None, ""):
            query[name] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


def _filters(request: HttpRequest, queryset, *, without=()) -> dict:
    """The page's ``LeadFilter`` and what the filter bar needs to show it."""
    filterset = lead_filterset(
        request.GET,
        request=request,
        queryset=queryset,
        users=assignable_users(request.tenant),
        choices=filter_choices(),
        without=without,
    )
    return {
        "filterset": filterset,
        "filtered": any(any(values) for name, values in request.GET.lists() if name not in ("page", "o")),
        "more_filters": any(request.GET.get(name) for name in MORE_FILTERS if name not in without),
    }


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """One column per stage with the count and total deal value of its open leads, and its most
    recently changed cards (capped: the rest are one click away in the list)."""
    filters = _filters(request, Lead.objects.all(), without=("lost",))
    columns = board_columns(filters["filterset"].qs)
    list_url = reverse("leads:list")
    for column in columns:
        column.more_url = list_url + _query(request, drop=("page", "o"), stage=[column.stage.value], lost="false")
    return render(
        request,
        "leads/board.html",
        {
            **filters,
            "columns": columns,
            "open_count": sum(column.count for column in columns),
            "open_value": sum(column.total for column in columns),
            "next_url": request.get_full_path(),
        },
    )


def _sort_links(request: HttpRequest, ordering: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (or reverses it) and its current direction."""
    current, descending = ordering.removeprefix("-"), ordering.startswith("-")
    links = {}
    for key in LIST_ORDERINGS:
        if key == current:
            target, direction = (key, "descending") if descending else (f"-{key}", "ascending")
        else:
            target, direction = (f"-{key}" if key in DESCENDING_FIRST else key), ""
        links[key] = {"url": _query(request, drop=("page",), o=target), "direction": direction}
    return links


@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    """Every lead, filtered, ordered and paginated."""
    filters = _filters(request, Lead.objects.all())
    leads, ordering = lead_list_queryset(filters["filterset"].qs, request.GET.get("o", DEFAULT_LIST_ORDERING))
    page = Paginator(leads, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "leads/list.html",
        {
            **filters,
            "page": page,
            "ordering": ordering,
            "sort": _sort_links(request, ordering),
            "page_query": _query(request, drop=("page",)),
        },
    )


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(lead_for_page(pk))
    context = {
        "lead": lead,
        "stages": STAGE_ORDER,
        "reached": [(stage, lead.reached_at(stage)) for stage in STAGE_ORDER],
        "next_url": request.get_full_path(),
    }
    if request.client_access.can_write:
        users = assignable_users(request.tenant)
        assign_form = AssignForm(users=users, initial={"owner": lead.owner_id})
        if lead.owner is not None and lead.owner_id not in {user.pk for user in users}:
            # Still shown as the owner even if they may no longer work here.
            assign_form.fields["owner"].choices = [
                *assign_form.fields["owner"].choices,
                (lead.owner_id, _("%(owner)s (no access any more)") % {"owner": lead.owner.email}),
            ]
        context.update(
            move_form=MoveForm(),
            lost_form=LostForm(),
            reopen_form=ReopenForm(),
            note_form=NoteForm(),
            assign_form=assign_form,
        )
    return render(request, "leads/detail.html", context)


# --- writes --------------------------------------------------------------------------------------


def _back(request: HttpRequest, lead: Lead) -> HttpResponseRedirect:
    """Back to the page the form was on (``next``, only within this client), else the lead's page."""
    target = request.POST.get("next", "")
    within_client = target.startswith(reverse("client-home"))
    if within_client and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse("leads:detail", args=[lead.pk]))


def _invalid(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _refused(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, _("Not done: %(reason)s") % {"reason": error.message})


def _write(request: HttpRequest, pk: int, form_class, act, **form_kwargs) -> HttpResponse:
    """Validate the form, run one service through ``act(lead, data)`` (it returns the success message,
    or None when it said something itself), show a refusal as a message, and go back."""
    lead = get_object_or_404(Lead, pk=pk)
    form = form_class(request.POST, **form_kwargs)
    if not form.is_valid():
        _invalid(request, form)
        return _back(request, lead)
    try:
        message = act(lead, form.cleaned_data)
    except DomainError as error:
        _refused(request, error)
    else:
        if message:
            messages.success(request, message)
    return _back(request, lead)


@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict):
        to = Stage(data["to"])
        if lead.stage == to:
            messages.info(request, _("%(lead)s is already at stage %(stage)s.") % {"lead": lead, "stage": to.label})
            return None
        lead = services.lead_move_stage(
            lead=lead, to=to, at=data["at"], reason=data["reason"], by=request.user, source=ChangeOrigin.UI
        )
        return _("%(lead)s moved to %(stage)s.") % {"lead": lead, "stage": to.label}

    return _write(request, pk, MoveForm, act)


@require_POST
def mark_lost(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict):
        lead = services.lead_mark_lost(lead=lead, reason=data["reason"], by=request.user, source=ChangeOrigin.UI)
        return _("%(lead)s is marked lost.") % {"lead": lead}

    return _write(request, pk, LostForm, act)


@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict):
        lead = services.lead_reopen(lead=lead, reason=data["reason"], by=request.user, source=ChangeOrigin.UI)
        return _("%(lead)s is open again.") % {"lead": lead}

    return _write(request, pk, ReopenForm, act)


@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict):
        owner = data["owner"]
        lead = services.lead_assign(lead=lead, owner=owner, by=request.user, source=ChangeOrigin.UI)
        if owner is None:
            return _("%(lead)s has no owner now.") % {"lead": lead}
        return _("%(lead)s is now owned by %(owner)s.") % {"lead": lead, "owner": owner}

    return _write(request, pk, AssignForm, act, users=assignable_users(request.tenant))


@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict):
        services.lead_add_note(lead=lead, body=data["body"], by=request.user)
        return _("Note added.")

    return _write(request, pk, NoteForm, act)
