"""Writes on platform connections: connected (or reconnected), new tokens stored, broken, disconnected.
Tokens are stored encrypted (config.crypto) and only here. Source writes are in ``source_services``."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from config.crypto import decrypted, encrypted
from config.events import platform_connected
from connectors import oauth
from connectors.errors import ConnectorError
from connectors.models import Connection, ConnectionStatus, SourceStatus
from connectors.oauth import Grant

logger = logging.getLogger(__name__)


def connection_connect(*, agency, provider: str, grant: Grant, actor) -> Connection:
    """The agency's connection to ``provider`` with the new grant: created, or replaced on a reconnection
    (the sources it feeds stay, and those it broke are pending again: the next run tells)."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().filter(agency=agency, provider=provider).first()
        first = connection is None
        if first:
            connection = Connection(agency=agency, provider=provider)
        connection.account_label = grant.account_label[:300]
        connection.access_token = encrypted(grant.access_token)
        # Google sends no refresh token when consent was given before without prompt=consent: keep the old one.
        if grant.refresh_token or not connection.refresh_token:
            connection.refresh_token = encrypted(grant.refresh_token)
        connection.expires_at = grant.expires_at
        connection.scopes = grant.scopes
        connection.status = ConnectionStatus.ACTIVE
        connection.broken_reason = ""
        connection.connected_by = actor if getattr(actor, "is_authenticated", False) else None
        connection.connected_at = timezone.now()
        connection.save()
        connection.sources.filter(status=SourceStatus.BROKEN).update(status=SourceStatus.PENDING, last_error="")
        if first:
            platform_connected.send(sender=connection_connect, actor=connection.connected_by, agency=agency)
    return connection


def connection_store_grant(connection: Connection, grant: Grant) -> None:
    """New tokens from a refresh or an exchange, on the row the caller holds locked."""
    connection.access_token = encrypted(grant.access_token)
    if grant.refresh_token:
        connection.refresh_token = encrypted(grant.refresh_token)
    connection.expires_at = grant.expires_at
    if grant.scopes:
        connection.scopes = grant.scopes
    connection.save(update_fields=["access_token", "refresh_token", "expires_at", "scopes", "updated_at"])


def connection_mark_broken(connection: Connection, reason: str) -> None:
    """The platform refused the grant: the connection and every source it feeds stop until someone
    reconnects (the reason is shown beside them)."""
    connection.status = ConnectionStatus.BROKEN
    connection.broken_reason = reason[:500]
    connection.save(update_fields=["status", "broken_reason", "updated_at"])
    connection.sources.update(status=SourceStatus.BROKEN, last_error=reason[:1000])


def connection_disconnect(connection: Connection, actor) -> None:
    """Revoke the grant at the platform, then delete the connection and its sources (their facts stay).

    The revocation is best effort: a platform that is down or already forgot the grant must not keep an
    agency from disconnecting, so a failure is logged and the local row (with its tokens) is deleted all
    the same. ``NotConfigured`` when the app credentials are missing (nothing is deleted: set them, or
    revoke the access in the platform's own settings)."""
    oauth.require_configured(connection.provider)
    try:
        oauth.revoke(
            connection.provider,
            access_token=decrypted(connection.access_token),
            refresh_token=decrypted(connection.refresh_token),
        )
    except ConnectorError as exc:
        logger.warning(
            "Revoking connection %s (%s) failed, deleted anyway: %s", connection.pk, connection.provider, exc.message
        )
    except Exception:  # an undecryptable token (a key dropped too early) must not block a disconnection
        logger.exception("Revoking connection %s (%s) failed, deleted anyway", connection.pk, connection.provider)
    logger.info(
        "Connection %s (%s) of agency %s disconnected by %s",
        connection.pk,
        connection.provider,
        connection.agency_id,
        getattr(actor, "pk", None),
    )
    connection.delete()
