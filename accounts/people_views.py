"""The people pages (public schema): /people/ (agency people, each client's members and waiting
invitations), the invite form, and /invitations/<token>/ where an invitation is accepted.

Every write goes through ``accounts.invitations`` or ``accounts.members``, whose rule
(``accounts.rules``) the API shares. Something the caller may not manage is a 404, like a client they
may not enter; a refused change (the last owner, a role they may not give) is a message on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.api import landing_url
from accounts.invitations import (
    InvitationMailQuotaExceeded,
    invitation_accept,
    invitation_account,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from accounts.members import member_remove, member_role_change
from accounts.models import Invitation
from accounts.people import ClientPlace, Places, agency_people, open_invitations_for, places_managed_by
from accounts.people_forms import ExistingAccountForm, InviteForm, NewAccountForm, RoleForm
from accounts.rules import may_manage_membership
from config.errors import DomainError
from config.words import of_name
from tenants.lockout import lockout_message, lockout_retry_after
from tenants.models import AGENCY_ROLES, Membership, Role


@dataclass(frozen=True)
class MemberLine:
    membership: Membership
    roles: list[tuple[str, str]]  # the roles the caller may give this member (empty: read-only)
    removable: bool


@dataclass(frozen=True)
class PlaceSection:
    key: str  # the anchor on the page
    title: str
    members: list[MemberLine]
    agency_members: list[Membership]  # shown read-only on a client's section
    invitations: list[Invitation]
    client_place: ClientPlace | None = None


def _member_line(membership: Membership, may_give: frozenset[Role] | tuple[Role, ...]) -> MemberLine:
    """``may_give``: the roles the caller may give at the membership's place (accounts.rules): they
    manage the membership exactly when its role is one of them."""
    if membership.role not in may_give:
        return MemberLine(membership, [], False)
    return MemberLine(membership, [(role.value, role.label) for role in Role if role in may_give], True)


def _sections(user, places: Places, only_client: str | None) -> list[PlaceSection]:
    invitations = list(open_invitations_for(user, places))
    sections = []
    managed_agencies = {agency.pk for agency in places.agencies}
    people_by_agency = {agency.pk: list(agency_people(agency)) for agency in places.agency_views}
    if not only_client:
        for agency in places.agency_views:
            may_give = AGENCY_ROLES if agency.pk in managed_agencies else ()
            lines = [_member_line(m, may_give) for m in people_by_agency[agency.pk]]
            sections.append(
                PlaceSection(
                    key=f"agency-{agency.pk}",
                    title=_("%(agency)s: agency people") % {"agency": agency.name},
                    members=lines,
                    agency_members=[],
                    invitations=[i for i in invitations if i.agency_id == agency.pk],
                )
            )
    client_ids = [place.client.pk for place in places.clients]
    members_by_client: dict[int, list[Membership]] = {pk: [] for pk in client_ids}
    for membership in Membership.objects.filter(client_id__in=client_ids).select_related("user", "client"):
        members_by_client[membership.client_id].append(membership)
    for place in places.clients:
        client = place.client
        if only_client and client.slug != only_client:
            continue
        agency_members = people_by_agency.get(client.agency_id)
        if agency_members is None:
            agency_members = list(agency_people(client.agency)) if client.agency_id else []
        members = sorted(members_by_client[client.pk], key=lambda m: m.user.email)
        sections.append(
            PlaceSection(
                key=f"client-{client.slug}",
                title=client.name,
                members=[_member_line(m, place.roles) for m in members],
                agency_members=agency_members,
                invitations=[i for i in invitations if i.client_id == client.pk],
                client_place=place,
            )
        )
    return sections


def _places_or_403(request: HttpRequest) -> Places:
    places = places_managed_by(request.user)
    if not (places.agency_views or places.clients):
        raise PermissionDenied(_("Only agency people and client managers manage people."))
    return places


@login_required
def people(request: HttpRequest) -> HttpResponse:
    places = places_managed_by(request.user)
    if not (places.agency_views or places.clients):
        # The page (linked from every public page), saying why, rather than a bare 403.
        return render(request, "accounts/people.html", {"sections": [], "refused": True}, status=403)
    only_client = request.GET.get("client") or None
    if only_client and places.client(only_client) is None:
        raise Http404("No such client account")
    return render(
        request,
        "accounts/people.html",
        {
            "sections": _sections(request.user, places, only_client),
            "only_client": only_client,
            "can_invite": bool(places.agencies or places.clients),
        },
    )


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    places = _places_or_403(request)
    if not (places.agencies or places.clients):
        raise PermissionDenied(_("Your role does not allow inviting anyone."))
    form = InviteForm(_posted(request), places=places)
    if request.method == "GET" and request.GET.get("client"):
        form.initial["place"] = f"client:{request.GET['client']}"
    if request.method == "POST" and form.is_valid():
        agency, client = form.place_of()
        try:
            invitation = invitation_send(
                by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                agency=agency,
                client=client,
            )
        except DomainError as exc:
            form.add_error(_form_field(exc.field), exc.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect(_people_url(invitation))
    return render(request, "accounts/invite.html", {"form": form}, status=400 if form.errors else 200)


def _form_field(field: str | None) -> str | None:
    return "place" if field in ("agency", "client") else field if field in ("email", "role") else None


def _people_url(invitation_or_membership) -> str:
    if invitation_or_membership.client_id:
        return f"{reverse('people')}#client-{invitation_or_membership.client.slug}"
    return f"{reverse('people')}#agency-{invitation_or_membership.agency_id}"


def _managed_invitation(request: HttpRequest, pk: int) -> Invitation:
    invitation = open_invitations_for(request.user).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


@login_required
@require_POST
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _managed_invitation(request, pk)
    try:
        invitation_resend(invitation=invitation, by=request.user)
    except (DomainError, InvitationMailQuotaExceeded) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A new invitation was sent to %(email)s.") % {"email": invitation.email})
    return redirect(_people_url(invitation))


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _managed_invitation(request, pk)
    invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect(_people_url(invitation))


def _managed_membership(request: HttpRequest, pk: int) -> Membership:
    """A membership the caller sees on the people page and may manage (else 404)."""
    membership = Membership.objects.select_related("user", "agency", "client", "client__agency").filter(pk=pk).first()
    if membership is None or not may_manage_membership(request.user, membership):
        raise Http404("No such member")
    return membership


@login_required
@require_POST
def member_role_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _managed_membership(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles offered."))
    else:
        try:
            member_role_change(membership=membership, role=form.cleaned_data["role"], by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": Role(form.cleaned_data["role"]).label},
            )
    return redirect(_people_url(membership))


@login_required
@require_POST
def member_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _managed_membership(request, pk)
    try:
        member_remove(membership=membership, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
    return redirect(_people_url(membership))


# --- accepting ---------------------------------------------------------------------------------------


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the invitation opens and what to enter; POST accepts it, signs the person in and
    takes them to the client's dashboard (client roles) or the portfolio (agency roles)."""
    try:
        invitation = invitation_for_token(token)
    except DomainError as exc:
        return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=400)
    account = invitation_account(invitation)
    signed_in_as_invitee = account is not None and request.user.is_authenticated and request.user.pk == account.pk
    if account is None:
        form = NewAccountForm(_posted(request))
    elif signed_in_as_invitee:
        form = None
    else:
        form = ExistingAccountForm(_posted(request))
    context = {
        "invitation": invitation,
        "account": account,
        "signed_in_as_invitee": signed_in_as_invitee,
        "form": form,
        "login_url": f"{reverse('login')}?next={request.path}",
    }
    if request.method != "POST":
        return render(request, "accounts/invitation_accept.html", context)
    if form is not None and not form.is_valid():
        return render(request, "accounts/invitation_accept.html", context, status=400)
    user = request.user if signed_in_as_invitee else None
    name = form.cleaned_data.get("name", "") if form is not None else ""
    password = form.cleaned_data.get("password", "") if form is not None else ""
    if account is not None and user is None:
        credentials = {"username": account.email, "password": password}
        user = authenticate(request, **credentials)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                form.add_error(None, lockout_message(lockout_retry_after(request, credentials)))
            else:
                form.add_error(
                    "password", _("This is not the password %(of_email)s.") % {"of_email": of_name(account.email)}
                )
            return render(request, "accounts/invitation_accept.html", context, status=400)
    try:
        accepted = invitation_accept(token=token, user=user, full_name=name, password=password)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return render(request, "accounts/invitation_accept.html", context, status=400)
    except DomainError as exc:
        return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=400)
    if not signed_in_as_invitee:
        # Through the login's own checks (django-axes, the project's backend): a new account signs in
        # with the password it just chose.
        signed = user or authenticate(request, username=accepted.user.email, password=password)
        if signed is None:
            messages.info(request, _("Your invitation is accepted: log in to continue."))
            return redirect("login")
        login(request, signed)
    place = accepted.invitation.place
    messages.success(request, _("Welcome! You now have access to %(place)s.") % {"place": place})
    return redirect(landing_url(accepted.invitation))


def _posted(request: HttpRequest):
    """The form's data on a POST (even an empty one: its fields are then required), none on a GET."""
    return request.POST if request.method == "POST" else None
