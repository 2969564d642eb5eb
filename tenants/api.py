"""Personal API tokens (public schema, /api/v1/tokens/): scripts authenticate with
``Authorization: Token <token>``; a token reaches exactly the clients its user can reach."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotFound, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.events import api_token_created, api_token_revoked
from config.throttling import AddressRateThrottle
from tenants.lockout import lockout_message, lockout_retry_after


class TokenCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text=_("Not needed when already signed in."))
    # Always: a session alone (a borrowed browser, a stolen cookie) must not mint a long-lived token.
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    expires_in_days = serializers.IntegerField(min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when used, not at import: the lifetime is a setting (API_TOKEN_TTL_DAYS), a ceiling and the default.
        ttl_days = settings.API_TOKEN_TTL_DAYS
        self.fields["expires_in_days"] = serializers.IntegerField(
            min_value=1,
            max_value=ttl_days,
            required=False,
            default=ttl_days,
            help_text=_("At most, and by default, %(days)d days.") % {"days": ttl_days},
        )


class TokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Shown once: Pouls keeps only a hash."))
    token_key = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class TokenOutputSerializer(serializers.Serializer):
    token_key = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)


class TokenCreateThrottle(AddressRateThrottle):
    """Password guesses per address, whatever the email: the lockout counts per (email, address), this
    bounds spraying many emails. Above the lockout's 10 failures, so that a locked pair hears why."""

    scope = "token_create"
    rate = "20/min"

    def allow_request(self, request, view) -> bool:
        return request.method != "POST" or super().allow_request(request, view)


class LoginLocked(Throttled):
    default_code = "login_locked"


class TokenListCreateApi(APIView):
    permission_classes = [AllowAny]  # creating a token with email + password needs no session
    throttle_classes = [TokenCreateThrottle]

    @extend_schema(responses=TokenOutputSerializer(many=True))
    def get(self, request):
        if not request.user.is_authenticated:
            raise AuthenticationFailed()
        tokens = AuthToken.objects.filter(user=request.user).order_by("-created")
        return Response(TokenOutputSerializer(tokens, many=True).data)

    @extend_schema(request=TokenCreateInputSerializer, responses={201: TokenCreatedSerializer})
    def post(self, request):
        data = TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data.get("email") or (request.user.email if request.user.is_authenticated else "")
        if not email:
            raise serializers.ValidationError({"email": [serializers.Field.default_error_messages["required"]]})
        # With the request, so that django-axes counts the failure and refuses a locked (email, address).
        credentials = {"username": email, "password": data.validated_data["password"]}
        user = authenticate(request, **credentials)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                retry_after = lockout_retry_after(request, credentials)
                raise LoginLocked(wait=retry_after, detail=lockout_message(retry_after))
            raise AuthenticationFailed(_("Email and password do not match."))
        with transaction.atomic():  # the token and its audit record (config.events) together
            instance, token = AuthToken.objects.create(
                user=user, expiry=timedelta(days=data.validated_data["expires_in_days"])
            )
            api_token_created.send(sender=AuthToken, actor=user, token=instance)
        body = {"token": token, "token_key": instance.token_key, "expiry": instance.expiry}
        return Response(TokenCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, token_key: str):
        with transaction.atomic():  # the revocation and its audit record (config.events) together
            token = AuthToken.objects.filter(user=request.user, token_key=token_key).first()
            if token is None:
                raise NotFound()
            token.delete()
            api_token_revoked.send(sender=AuthToken, actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
