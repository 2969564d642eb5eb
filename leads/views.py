"""Sales screens of one client account (server-rendered): the pipeline board, the lead list and the
lead page. ``ClientAccessMiddleware`` has checked access before any of these runs (404 for people
outside the client, 403 for a viewer's POST).

Writes are POSTs to small views that validate a form, call one service of ``leads.services`` and
redirect (POST-redirect-GET); a refused change (``DomainError``) becomes a message on the page the
person came from, never an error page. The lead page's edit form is the exception: a refusal shows it
again with each error under its field.

A stage move that must ask something first goes through the lead page's *stage step*
(``?move=<stage>``): a move back asks whether it is a correction or a regression (docs/kpis.md §3),
reaching customer asks for the deal value (which may stay empty)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.errors import DomainError
from config.words import of_name
from leads import services
from leads.forms import AssignForm, LeadEditForm, LostForm, MoveForm, NoteForm, ReopenForm, lead_filterset
from leads.lifecycle import is_move_back, stage_rank
from leads.models import STAGE_ORDER, ChangeOrigin, Lead, MoveKind, Stage
from leads.selectors import (
    DEFAULT_LIST_ORDERING,
    LIST_ORDERINGS,
    assignable_users,
    board_columns,
    filter_choices,
    lead_for_page,
    lead_list_queryset,
    pipeline_totals,
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
    """One column per stage with the count and total deal value of its leads that are not lost, and its
    most recently changed cards (capped: the rest are one click away in the list). The summary counts as
    open the leads before customer; customers are the deals won, with those whose amount is missing."""
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
            "totals": pipeline_totals(columns),
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
    return _lead_page(request, pk)


def _lead_page(request: HttpRequest, pk: int, *, edit_form: LeadEditForm | None = None) -> HttpResponse:
    """The lead page; ``edit_form``: the edit form as posted, shown open with its errors."""
    lead = get_object_or_404(lead_for_page(pk))
    context = {
        "lead": lead,
        "stages": [(stage, _stage_button(lead, stage)) for stage in STAGE_ORDER],
        "reached": [(stage, lead.reached_at(stage)) for stage in STAGE_ORDER],
        "amount_missing": lead.stage == Stage.CUSTOMER and lead.deal_value is None,
        "next_url": reverse("leads:detail", args=[lead.pk]),
    }
    if request.client_access.can_write:
        context.update(edit_form=edit_form or LeadEditForm(lead=lead), step=_stage_step(request, lead))
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


def _stage_button(lead: Lead, stage: Stage) -> str:
    """What the lead page's button for ``stage`` does: ``current`` (none), ``move`` (posts the move at
    once), ``step`` (opens the stage step first: a move back, or reaching customer), ``locked`` (a lost
    lead: re-open it first)."""
    if stage == lead.stage:
        return "current"
    if lead.is_lost:
        return "locked"
    if stage == Stage.CUSTOMER or is_move_back(from_stage=lead.stage, to=stage):
        return "step"
    return "move"


def _stage_step(request: HttpRequest, lead: Lead) -> dict | None:
    """The lead page's stage step (``?move=<stage>``, ``&next=`` where to go afterwards): the move's form
    with the questions it asks. None when there is nothing to ask (no such stage, the current one, a
    lost lead)."""
    target = request.GET.get("move", "")
    if target not in Stage.values or target == lead.stage or lead.is_lost:
        return None
    to = Stage(target)
    back = is_move_back(from_stage=lead.stage, to=to)
    return {
        "to": to,
        "back": back,
        "asks_value": to == Stage.CUSTOMER,
        # The stages whose reach a correction would void: those above the target the lead reached.
        "voided": [s.label for s in STAGE_ORDER[stage_rank(to) + 1 :] if back and lead.reached_at(s) is not None],
        "form": MoveForm(initial={"to": to.value, "deal_value": lead.deal_value}),
        "next": _safe_next(request, request.GET.get("next", "")) or reverse("leads:detail", args=[lead.pk]),
        "kinds": MoveKind,
    }


# --- writes --------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, target: str) -> str | None:
    """``target`` if it is a page of this client (never elsewhere: an open redirect), else None."""
    within_client = target.startswith(reverse("client-home"))
    if within_client and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _back(request: HttpRequest, lead: Lead) -> HttpResponseRedirect:
    """Back to the page the form was on (``next``, only within this client), else the lead's page."""
    return HttpResponseRedirect(
        _safe_next(request, request.POST.get("next", "")) or reverse("leads:detail", args=[lead.pk])
    )


def _step_url(request: HttpRequest, lead: Lead, to: Stage) -> str:
    """The lead page's stage step for a move to ``to``, then back where the form was."""
    query = {"move": to.value}
    if next_url := _safe_next(request, request.POST.get("next", "")):
        query["next"] = next_url
    return f"{reverse('leads:detail', args=[lead.pk])}?{urlencode(query)}"


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
    """Move the lead. A move back that does not say its kind (the board's "←" button, a drop on an earlier
    column) goes to the stage step, which asks; anything else goes to the service, which decides."""
    lead = get_object_or_404(Lead, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(request, lead)
    data = form.cleaned_data
    to, kind = Stage(data["to"]), data["kind"]
    if lead.stage == to and data["deal_value"] is None:
        messages.info(request, _("%(lead)s is already at stage %(stage)s.") % {"lead": lead, "stage": to.label})
        return _back(request, lead)
    if kind is None and not lead.is_lost and lead.stage != to and is_move_back(from_stage=lead.stage, to=to):
        if request.POST.get("step"):  # the step itself, sent without an answer: ask again, saying why
            messages.error(request, str(services.MOVE_KIND_REQUIRED))
        return HttpResponseRedirect(_step_url(request, lead, to))
    try:
        moved = services.lead_move_stage(
            lead=lead,
            to=to,
            at=data["at"],
            reason=data["reason"],
            kind=kind,
            deal_value=data["deal_value"],
            by=request.user,
            source=ChangeOrigin.UI,
        )
    except DomainError as error:
        _refused(request, error)
        return _back(request, lead)
    if lead.stage == to:
        messages.success(request, _("The deal value %(of_lead)s is saved.") % {"of_lead": of_name(moved)})
    elif kind == MoveKind.CORRECTION and is_move_back(from_stage=lead.stage, to=to):
        messages.success(
            request,
            _("%(lead)s is corrected back to %(stage)s: the later stages no longer count as reached.")
            % {"lead": moved, "stage": to.label},
        )
    else:
        messages.success(request, _("%(lead)s moved to %(stage)s.") % {"lead": moved, "stage": to.label})
    return _back(request, lead)


@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the lead page's edit form through ``lead_update`` (its checks, its history entry); a refusal
    shows the page again with the errors under their fields."""
    lead = get_object_or_404(Lead, pk=pk)
    form = LeadEditForm(request.POST, lead=lead)
    if form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing to save: no field changed."))
            return _back(request, lead)
        try:
            lead = services.lead_update(lead=lead, changes=changes, by=request.user, source=ChangeOrigin.UI)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("%(lead)s is saved.") % {"lead": lead})
            return _back(request, lead)
    return _lead_page(request, pk, edit_form=form)


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
        return _("%(owner)s is now in charge %(of_lead)s.") % {"owner": owner, "of_lead": of_name(lead)}

    return _write(request, pk, AssignForm, act, users=assignable_users(request.tenant))


@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: Lead, data: dict):
        services.lead_add_note(lead=lead, body=data["body"], by=request.user)
        return _("Note added.")

    return _write(request, pk, NoteForm, act)
