"""Personal API tokens (public schema, /api/v1/tokens/): scripts authenticate with
``Authorization: Token <token>``; a token reaches exactly the clients its user can reach."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView


class TokenCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text=_("Not needed when already signed in."))
    password = serializers.CharField(required=False, write_only=True, style={"input_type": "password"})
    expires_in_days = serializers.IntegerField(min_value=1, max_value=365, required=False, default=90)


class TokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Shown once: Pouls keeps only a hash."))
    token_key = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class TokenOutputSerializer(serializers.Serializer):
    token_key = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)


class TokenCreateThrottle(AnonRateThrottle):
    rate = "10/min"


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
        user = request.user if request.user.is_authenticated else None
        if user is None:
            email, password = data.validated_data.get("email"), data.validated_data.get("password")
            user = authenticate(request, username=email, password=password) if email and password else None
            if user is None:
                raise AuthenticationFailed(_("Email and password do not match."))
        instance, token = AuthToken.objects.create(
            user=user, expiry=timedelta(days=data.validated_data["expires_in_days"])
        )
        body = {"token": token, "token_key": instance.token_key, "expiry": instance.expiry}
        return Response(TokenCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, token_key: str):
        deleted, _ = AuthToken.objects.filter(user=request.user, token_key=token_key).delete()
        return Response(status=status.HTTP_204_NO_CONTENT if deleted else status.HTTP_404_NOT_FOUND)
