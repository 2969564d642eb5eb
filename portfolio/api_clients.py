"""The clients API (public schema): client accounts created, read, changed, archived and restored by
the rules of the portfolio's pages (``portfolio.client_rules``) and through the same services
(``tenants.services``), so a refused value reads the same here, on the page and from the
``create_client`` command.

- ``GET /api/v1/clients/``: the client accounts you may enter, with your role there; with
  ``archived=true``, the archived ones you may restore (agency owners).
- ``POST /api/v1/clients/``: agency owners and staff create one for their agency.
- ``GET/PATCH /api/v1/clients/<slug>/``: read it (anyone who may enter it; an archived one, its
  agency's owners); change its name, time zone or currency (agency owners and staff).
- ``POST …/<slug>/archive/`` (agency owners and staff), ``POST …/<slug>/restore/`` (agency owners).

A client account you may not enter, an archived one (for anyone but its agency's owners) or another
agency's is a 404, as if it did not exist; one you may read but your role does not let you change, a 403.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from portfolio.client_rules import (
    CLIENT_CREATIONS,
    ClientAccount,
    agencies_creating_clients,
    archived_clients_for,
    client_account_for,
    creation_quota_key,
)
from tenants.access import clients_visible_to
from tenants.models import Agency, Role
from tenants.services import client_archive, client_create, client_restore, client_update
from tenants.urlconfs import client_url

# --- inputs and outputs ----------------------------------------------------------------------------
# Text fields carry the value as sent: its rule (trimmed, length, format, a known zone, a currency in
# use) is the service's, so the API says what the page and the command say. Only the request's shape
# (a missing field, a number where text goes) is DRF's.


def _text(help_text, **kwargs) -> serializers.CharField:
    return serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=help_text, **kwargs)


NAME_HELP = _("At most 200 characters.")
SLUG_HELP = _(
    "Its address, /c/<slug>/: 1-50 lower-case letters, digits and dashes, not starting or ending with a dash. "
    "Fixed once the account exists."
)
TIME_ZONE_HELP = _("An IANA time zone, e.g. Europe/Paris.")
CURRENCY_HELP = _("An ISO 4217 code in use, e.g. EUR.")


class ClientCreateInputSerializer(serializers.Serializer):
    name = _text(NAME_HELP)
    slug = _text(SLUG_HELP)
    time_zone = _text(TIME_ZONE_HELP, required=False, default="Europe/Paris")
    currency = _text(CURRENCY_HELP, required=False, default="EUR")
    agency = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("The agency's id; by default the one agency you work for."),
    )


class ClientUpdateInputSerializer(serializers.Serializer):
    name = _text(NAME_HELP, required=False)
    time_zone = _text(TIME_ZONE_HELP, required=False)
    currency = _text(CURRENCY_HELP, required=False)
    slug = _text(_("Fixed: only its current value is accepted."), required=False)


class ClientOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    agency = serializers.IntegerField(allow_null=True)
    agency_name = serializers.CharField(allow_null=True)
    time_zone = serializers.CharField()
    currency = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices, help_text=_("Your role in this client account."))
    archived = serializers.BooleanField()
    can_change = serializers.BooleanField(help_text=_("Whether you may change its settings and archive it."))
    can_restore = serializers.BooleanField(help_text=_("Whether you may restore it (agency owners)."))
    url = serializers.CharField(help_text=_("Its dashboard."))
    created_at = serializers.DateTimeField()


class ClientListQuerySerializer(serializers.Serializer):
    archived = serializers.BooleanField(required=False, default=False)


def client_row(account: ClientAccount) -> dict:
    client = account.client
    return {
        "slug": client.slug,
        "name": client.name,
        "agency": client.agency_id,
        "agency_name": client.agency.name if client.agency_id else None,
        "time_zone": client.time_zone,
        "currency": client.currency,
        "role": account.role,
        "archived": account.archived,
        "can_change": account.can_change,
        "can_restore": account.can_restore,
        "url": client_url(client, "client-home"),
        "created_at": client.created_at,
    }


def _output(account: ClientAccount, code: int = status.HTTP_200_OK) -> Response:
    return Response(ClientOutputSerializer(client_row(account)).data, status=code)


# --- throttle --------------------------------------------------------------------------------------


class ClientCreationThrottle(BaseThrottle):
    """Refuses a creation once the caller's client accounts for the hour are spent
    (``portfolio.client_rules.CLIENT_CREATIONS``: each is a schema of its own)."""

    def allow_request(self, request, view) -> bool:
        if request.method != "POST" or not request.user.is_authenticated:
            return True
        self.retry_after = CLIENT_CREATIONS.retry_after(creation_quota_key(request.user))
        return self.retry_after is None

    def wait(self):
        return self.retry_after


# --- views -----------------------------------------------------------------------------------------


def _creation_agency(agencies: list[Agency], agency_id: int | None) -> Agency:
    if agency_id is not None:
        agency = next((agency for agency in agencies if agency.pk == agency_id), None)
        if agency is None:
            raise NotFound()
        return agency
    if len(agencies) > 1:
        raise ValidationError({"agency": [_("You work for several agencies: name the agency.")]})
    return agencies[0]


class ClientListCreateApi(APIView):
    """The client accounts you may enter, with your role there (``archived=true``: the archived ones you
    may restore); POST creates one (agency owners and staff), with its own schema made from the
    template (about 0.2 s)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ClientCreationThrottle]
    body_names_objects = True  # an agency the caller does not work for: 404 (config.api_schema)

    @extend_schema(
        parameters=[
            OpenApiParameter("archived", bool, description="The archived client accounts you may restore instead.")
        ],
        responses=ClientOutputSerializer(many=True),
    )
    def get(self, request):
        query = ClientListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["archived"]:
            accounts = [ClientAccount(client, Role.OWNER) for client in archived_clients_for(request.user)]
        else:
            accounts = [ClientAccount(access.client, access.role) for access in clients_visible_to(request.user)]
        return Response(ClientOutputSerializer([client_row(a) for a in accounts], many=True).data)

    @extend_schema(request=ClientCreateInputSerializer, responses={201: ClientOutputSerializer})
    def post(self, request):
        agencies = agencies_creating_clients(request.user)
        if not agencies:
            raise PermissionDenied(_("Only agency owners and staff create client accounts."))
        data = ClientCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        agency = _creation_agency(agencies, values.pop("agency", None))
        client, _created = client_create(agency=agency, actor=request.user, exists_ok=False, **values)
        CLIENT_CREATIONS.record(creation_quota_key(request.user))
        return _output(ClientAccount(client, _role_in(request.user, client)), status.HTTP_201_CREATED)


def _role_in(user, client) -> Role:
    account = client_account_for(user, client.slug)
    return account.role if account is not None else Role.OWNER  # a superuser outside the agency


def _account(request, slug: str) -> ClientAccount:
    account = client_account_for(request.user, slug)
    if account is None:
        raise NotFound()
    return account


def _changeable(request, slug: str) -> ClientAccount:
    account = _account(request, slug)
    if not account.is_agency:
        raise PermissionDenied(_("Only agency owners and staff change a client account."))
    return account


class ClientDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ClientOutputSerializer)
    def get(self, request, slug: str):
        """The client account, with your role there."""
        return _output(_account(request, slug))

    @extend_schema(request=ClientUpdateInputSerializer, responses=ClientOutputSerializer)
    def patch(self, request, slug: str):
        """Change its name, time zone or currency (agency owners and staff; an archived account is
        restored first). Its slug cannot change."""
        account = _changeable(request, slug)
        data = ClientUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client_update(account.client, actor=request.user, **data.validated_data)
        return _output(account)


class ClientArchiveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ClientOutputSerializer)
    def post(self, request, slug: str):
        """Archive the client account (agency owners and staff): its people, the agency's included,
        lose access from their next request; its data is kept. An agency owner can restore it."""
        account = _changeable(request, slug)
        client_archive(account.client, actor=request.user)
        return _output(ClientAccount(account.client, account.role))


class ClientRestoreApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ClientOutputSerializer)
    def post(self, request, slug: str):
        """Restore an archived client account (agency owners): its people reach it again."""
        account = _account(request, slug)
        if not account.can_restore:
            raise PermissionDenied(_("Only an agency owner restores a client account."))
        client_restore(account.client, actor=request.user)
        return _output(ClientAccount(account.client, account.role))
