"""Client account pages of the portfolio (public schema): create a client account, change its settings,
archive it, restore it. Who may do what is ``portfolio.client_rules``; every write goes through
``tenants.services`` (the API calls the same), which checks the values and announces the change to
the audit log.

Provisioning creates the schema inside the request (about 0.2 s, see docs/architecture.md): the
person lands on a client account that works, well within the server's timeout.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.words import of_name
from portfolio.client_forms import ClientCreateForm, ClientSettingsForm
from portfolio.client_rules import (
    CLIENT_CREATIONS,
    ClientAccount,
    agencies_creating_clients,
    client_account_for,
    creation_quota_key,
)
from tenants.services import client_archive, client_create, client_restore, client_update
from tenants.urlconfs import client_url


def _portfolio() -> HttpResponse:
    return redirect(reverse("home"))


def _refused_field(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def creation_wait_message(retry_after: int) -> str:
    minutes = max(1, -(-retry_after // 60))
    return _("You created many client accounts in the last hour: try again in %(minutes)d min.") % {"minutes": minutes}


@login_required
def client_create_view(request: HttpRequest) -> HttpResponse:
    agencies = agencies_creating_clients(request.user)
    if not agencies:
        raise PermissionDenied(_("Only agency owners and staff create client accounts."))
    form = ClientCreateForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        retry_after = CLIENT_CREATIONS.retry_after(creation_quota_key(request.user))
        if retry_after is not None:
            form.add_error(None, creation_wait_message(retry_after))
        else:
            try:
                client, _created = client_create(
                    agency=form.chosen_agency(), actor=request.user, exists_ok=False, **form.values()
                )
            except DomainError as exc:
                _refused_field(form, exc)
            else:
                CLIENT_CREATIONS.record(creation_quota_key(request.user))
                messages.success(
                    request,
                    _("Client account %(name)s created: it is ready at %(url)s. Invite its people next.")
                    % {"name": client.name, "url": client_url(client, "client-home")},
                )
                return _portfolio()
    return render(request, "portfolio/client_create.html", {"form": form}, status=400 if form.errors else 200)


def _account(request: HttpRequest, slug: str) -> ClientAccount:
    account = client_account_for(request.user, slug)
    if account is None:
        raise Http404("No such client account")
    return account


def _changeable(request: HttpRequest, slug: str) -> ClientAccount:
    account = _account(request, slug)
    if not account.is_agency:
        raise PermissionDenied(_("Only agency owners and staff change a client account."))
    return account


@login_required
def client_settings_view(request: HttpRequest, slug: str) -> HttpResponse:
    account = _changeable(request, slug)
    if account.archived:  # restored from the portfolio's archived section first
        raise Http404("No such client account")
    client = account.client
    initial = {"name": client.name, "time_zone": client.time_zone, "currency": client.currency}
    form = ClientSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = client_update(client, actor=request.user, **form.values())
        except DomainError as exc:
            _refused_field(form, exc)
        else:
            if changed:
                messages.success(request, _("Settings %(of_name)s saved.") % {"of_name": of_name(client.name)})
            else:
                messages.info(request, _("Nothing changed."))
            return _portfolio()
    return render(
        request,
        "portfolio/client_settings.html",
        {"form": form, "account": account, "client": client},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def client_archive_view(request: HttpRequest, slug: str) -> HttpResponse:
    client = _changeable(request, slug).client
    client_archive(client, actor=request.user)
    messages.success(
        request,
        _("%(name)s is archived: its people no longer reach it; its data is kept. An agency owner can restore it.")
        % {"name": client.name},
    )
    return _portfolio()


@login_required
@require_POST
def client_restore_view(request: HttpRequest, slug: str) -> HttpResponse:
    account = _account(request, slug)
    if not account.can_restore:
        raise PermissionDenied(_("Only an agency owner restores a client account."))
    client_restore(account.client, actor=request.user)
    messages.success(request, _("%(name)s is restored: its people reach it again.") % {"name": account.client.name})
    return _portfolio()
