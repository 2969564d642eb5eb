"""The people API (public schema): invitations and client members, the same rules as the people page
(``accounts.rules``). A client account the caller may not enter, an archived one, or an invitation or
member they may not manage answers 404 as if it did not exist; a role that allows reading a place but
not this change answers 403."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled, ValidationError
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.invitations import (
    INVITATION_MAILS,
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
from accounts.people import agency_people, client_members, manageable_client, open_invitations_for
from accounts.rules import CLIENT_ROLES_INVITED_BY, is_agency_owner, may_manage_membership
from accounts.serializers import (
    InvitationAcceptedSerializer,
    InvitationAcceptInputSerializer,
    InvitationCreateInputSerializer,
    InvitationOutputSerializer,
    MemberOutputSerializer,
    MemberUpdateInputSerializer,
)
from config.throttling import AddressRateThrottle
from config.words import of_name
from tenants.access import ClientAccess
from tenants.lockout import lockout_message, lockout_retry_after
from tenants.models import AGENCY_ROLES, Agency, Client, Membership, Role
from tenants.urlconfs import client_url

# --- throttles -------------------------------------------------------------------------------------


class InvitationMailThrottle(BaseThrottle):
    """Refuses a POST once the caller's invitation mails for the hour are spent (the service counts
    each mail: ``accounts.invitations.INVITATION_MAILS``)."""

    def allow_request(self, request, view) -> bool:
        if request.method != "POST" or not request.user.is_authenticated:
            return True
        self.retry_after = INVITATION_MAILS.retry_after(f"user:{request.user.pk}")
        return self.retry_after is None

    def wait(self):
        return self.retry_after


class InvitationAcceptThrottle(AddressRateThrottle):
    """Accepting needs the link's token (256 bits: not guessable) and, for an existing account, its
    password (django-axes counts failures per email and address). This bounds a script's pace anyway."""

    scope = "invitation_accept"
    rate = "20/min"


def _quota_refused(exc: InvitationMailQuotaExceeded):
    return Throttled(wait=exc.retry_after, detail=exc.message)


# --- invitations -----------------------------------------------------------------------------------


def _invitation(request, pk: int) -> Invitation:
    invitation = open_invitations_for(request.user).filter(pk=pk).first()
    if invitation is None:
        raise NotFound()
    return invitation


def _invitation_agency(user, agency_id: int | None) -> Agency:
    """The agency an agency-role invitation is for: the one named, or the only one the caller owns."""
    if agency_id is not None:
        agency = Agency.objects.filter(pk=agency_id).first()
        if agency is None or not is_agency_owner(user, agency):
            raise NotFound()
        return agency
    agencies = Agency.objects.all()
    if not user.is_superuser:
        agencies = agencies.filter(memberships__user=user, memberships__role=Role.OWNER)
    owned = list(agencies.order_by("pk").distinct()[:2])
    if not owned:
        raise PermissionDenied(_("Only an agency owner may invite people to the agency."))
    if len(owned) > 1:
        raise ValidationError({"agency": [_("You own several agencies: name the agency.")]})
    return owned[0]


class InvitationListCreateApi(generics.ListAPIView):
    """Open invitations you may resend or revoke (pending or expired, newest first); POST invites
    someone: agency owners invite staff and owners to their agency, owners and staff invite managers,
    sales and viewers to a client account, a client's manager invites sales and viewers to it."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [InvitationMailThrottle]
    serializer_class = InvitationOutputSerializer
    filter_backends: list = []
    body_names_objects = True  # a client or agency the caller may not see: 404 (config.api_schema)

    def get_queryset(self):
        return open_invitations_for(self.request.user)

    @extend_schema(request=InvitationCreateInputSerializer, responses={201: InvitationOutputSerializer})
    def post(self, request):
        data = InvitationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role, agency, client = data.validated_data["role"], None, None
        if role in AGENCY_ROLES:
            agency = _invitation_agency(request.user, data.validated_data.get("agency"))
        else:
            access = manageable_client(request.user, data.validated_data["client"])
            if access is None:
                raise NotFound()
            if not CLIENT_ROLES_INVITED_BY[access.role]:
                raise PermissionDenied(_("Your role does not allow inviting anyone to this client account."))
            client = access.client
        try:
            invitation = invitation_send(
                by=request.user, email=data.validated_data["email"], role=role, agency=agency, client=client
            )
        except InvitationMailQuotaExceeded as exc:
            raise _quota_refused(exc) from exc
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        """Withdraw an open invitation: its link stops working."""
        invitation_revoke(invitation=_invitation(request, pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationResendApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [InvitationMailThrottle]

    @extend_schema(request=None, responses=InvitationOutputSerializer)
    def post(self, request, pk: int):
        """Mail a new link, valid 7 days from now; the previous link stops working."""
        try:
            invitation = invitation_resend(invitation=_invitation(request, pk), by=request.user)
        except InvitationMailQuotaExceeded as exc:
            raise _quota_refused(exc) from exc
        return Response(InvitationOutputSerializer(invitation).data)


class InvitationAcceptApi(APIView):
    """Accept an invitation with the token of its link. A new person sends their name and a password
    (it becomes their login); for an existing account, send its password, or call while signed in as it."""

    permission_classes = [AllowAny]
    throttle_classes = [InvitationAcceptThrottle]

    @extend_schema(request=InvitationAcceptInputSerializer, responses=InvitationAcceptedSerializer)
    def post(self, request):
        data = InvitationAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, name, password = (data.validated_data.get(key, "") for key in ("token", "name", "password"))
        invitation = invitation_for_token(token)
        user = request.user if request.user.is_authenticated else None
        existing = invitation_account(invitation)
        if existing is not None and (user is None or user.pk != existing.pk):
            user = _authenticated(request, existing.email, password)
        accepted = invitation_accept(token=token, user=user, full_name=name, password=password)
        body = {
            "email": accepted.user.email,
            "role": accepted.membership.role,
            "agency": accepted.invitation.agency_id,
            "client": accepted.invitation.client.slug if accepted.invitation.client_id else None,
            "new_account": accepted.created_user,
            "url": landing_url(accepted.invitation),
        }
        return Response(InvitationAcceptedSerializer(body).data)


def _authenticated(request, email: str, password: str):
    """The account of ``email`` when ``password`` is its own, checked through django-axes (failures
    counted, a locked pair refused)."""
    if not password:
        return None  # the service says which account to log in as
    credentials = {"username": email, "password": password}
    user = authenticate(request, **credentials)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            retry_after = lockout_retry_after(request, credentials)
            raise Throttled(wait=retry_after, detail=lockout_message(retry_after))
        raise ValidationError(
            {"password": [_("This is not the password %(of_email)s.") % {"of_email": of_name(email)}]}
        )
    return user


def landing_url(invitation: Invitation) -> str:
    """Where an accepted invitation leads: the client's dashboard, or the portfolio for agency people."""
    if invitation.client_id:
        return client_url(invitation.client, "client-home")
    return reverse("home", urlconf=settings.PUBLIC_SCHEMA_URLCONF)


# --- members ---------------------------------------------------------------------------------------


class ClientPeoplePermission(BasePermission):
    """The client account named by the path's slug: 404 when the caller may not enter it (or it is
    archived), 403 unless they manage it (agency people, its managers)."""

    refuses_reads = True  # the OpenAPI document lists the 403 (config.api_schema)
    message = _("Only agency people and the client's managers see and manage its members.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        access = manageable_client(request.user, view.kwargs.get("slug", ""))
        if access is None:
            raise NotFound()
        view.access = access
        return access.can_manage


def _member_row(membership: Membership, kind: str, can_manage: bool) -> dict:
    return {
        "id": membership.pk,
        "email": membership.user.email,
        "name": membership.user.full_name,
        "role": membership.role,
        "kind": kind,
        "can_manage": can_manage,
        "since": membership.created_at,
    }


def _client_member(client: Client, pk: int) -> Membership:
    membership = client_members(client).filter(pk=pk).first()
    if membership is None:
        raise NotFound()
    return membership


class ClientMemberListApi(APIView):
    """The client account's members (managers, sales, viewers), then its agency's people (owners and
    staff reach every client of the agency; they are managed on the agency, not here)."""

    permission_classes = [ClientPeoplePermission]
    access: ClientAccess

    @extend_schema(responses=MemberOutputSerializer(many=True))
    def get(self, request, slug: str):
        client = self.access.client
        may_give = CLIENT_ROLES_INVITED_BY[self.access.role]  # who manages whom: accounts.rules
        rows = [_member_row(m, "client", m.role in may_give) for m in client_members(client)]
        if client.agency_id is not None:
            rows += [_member_row(m, "agency", False) for m in agency_people(client.agency)]
        return Response(MemberOutputSerializer(rows, many=True).data)


class ClientMemberDetailApi(APIView):
    permission_classes = [ClientPeoplePermission]
    access: ClientAccess

    def _manageable(self, request, pk: int) -> Membership:
        membership = _client_member(self.access.client, pk)
        if not may_manage_membership(request.user, membership):
            raise PermissionDenied(_("Your role does not allow changing this member."))
        return membership

    @extend_schema(request=MemberUpdateInputSerializer, responses=MemberOutputSerializer)
    def patch(self, request, slug: str, pk: int):
        """Change the member's role (effective on their next request)."""
        membership = self._manageable(request, pk)
        data = MemberUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = member_role_change(membership=membership, role=data.validated_data["role"], by=request.user)
        can_manage = may_manage_membership(request.user, membership)
        return Response(MemberOutputSerializer(_member_row(membership, "client", can_manage)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, slug: str, pk: int):
        """Remove the member from the client account: they lose access on their next request."""
        member_remove(membership=self._manageable(request, pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
