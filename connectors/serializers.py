"""The connections API's output: what a connection is, never its tokens."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from connectors.models import ConnectionStatus, Provider


class ConnectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = serializers.IntegerField(source="agency_id")
    provider = serializers.ChoiceField(choices=Provider.choices)
    account_label = serializers.CharField(help_text=_("The platform account that gave the access (email or name)."))
    status = serializers.ChoiceField(choices=ConnectionStatus.choices)
    broken_reason = serializers.CharField(help_text=_("Why the platform refused the access (empty when connected)."))
    connected_at = serializers.DateTimeField()
    scopes = serializers.ListField(child=serializers.CharField(), help_text=_("The permissions granted."))
    sources = serializers.IntegerField(help_text=_("How many client accounts it feeds."))


def connection_row(connection) -> dict:
    return {
        "id": connection.pk,
        "agency_id": connection.agency_id,
        "provider": connection.provider,
        "account_label": connection.account_label,
        "status": connection.status,
        "broken_reason": connection.broken_reason,
        "connected_at": connection.connected_at,
        "scopes": [scope for scope in connection.scopes.replace(",", " ").split() if scope],
        "sources": connection.source_count,
    }
