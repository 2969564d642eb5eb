"""The access token a sync sends: decrypted from the connection, renewed before it expires.

- Google: refreshed with the refresh token when it expires within ``LEEWAY`` (5 minutes), or when forced
  (``ApiSession`` forces one after a 401).
- Meta has no refresh token: the long-lived user token (about 60 days) is exchanged for a new one
  (``fb_exchange_token``) within ``META_RENEW_BEFORE`` of its end — a week, so that a few days of failed
  syncs do not let it lapse — or when forced.

The renewal runs under ``select_for_update`` on the connection's row: of two syncs that find the token
stale together, the second waits for the first and uses the token it stored, instead of refreshing
again (Google may invalidate older tokens; Meta rate-limits exchanges). When the platform refuses, the
connection and its sources are marked broken and ``GrantRefused`` is raised."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.crypto import decrypted
from connectors import oauth
from connectors.errors import GrantRefused
from connectors.http import ApiSession
from connectors.models import Connection, ConnectionStatus, Provider
from connectors.services import connection_mark_broken, connection_store_grant

LEEWAY = timedelta(minutes=5)
META_RENEW_BEFORE = timedelta(days=7)


def _renew_within(connection: Connection) -> timedelta:
    return META_RENEW_BEFORE if connection.provider == Provider.META else LEEWAY


def _fresh(connection: Connection) -> bool:
    if not connection.access_token:
        return False
    if connection.expires_at is None:
        return True  # a token without an end (some Meta apps): used until refused
    return connection.expires_at - timezone.now() > _renew_within(connection)


def _renewed(connection: Connection) -> oauth.Grant:
    if connection.provider == Provider.GOOGLE:
        refresh_token = decrypted(connection.refresh_token)
        if not refresh_token:
            raise GrantRefused(_("Google gave no refresh token: reconnect the account."))
        return oauth.google_refresh(refresh_token)
    return oauth.meta_long_lived(decrypted(connection.access_token))


def access_token(connection: Connection, *, force: bool = False) -> str:
    """The connection's access token in clear, renewed first when it is about to expire or ``force``.

    ``connection`` is refreshed from the database when the token was renewed (by this call or by a
    concurrent one). ``GrantRefused`` when the connection is broken or the platform refuses the renewal;
    ``Transient`` when the platform cannot be reached (the sync retries later)."""
    if not force and connection.status == ConnectionStatus.ACTIVE and _fresh(connection):
        return decrypted(connection.access_token)
    seen = connection.access_token  # the token the caller has (a 401 was for this one)
    refused: GrantRefused | None = None
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if locked.status == ConnectionStatus.BROKEN:
            refused = GrantRefused(locked.broken_reason or _("The connection is broken: reconnect the account."))
        elif locked.access_token != seen and _fresh(locked):
            pass  # another sync renewed it while we waited for the lock: use theirs
        elif force or not _fresh(locked):
            try:
                connection_store_grant(locked, _renewed(locked))
            except GrantRefused as exc:
                # Marked broken in this transaction, committed with it; the error is raised past it.
                connection_mark_broken(locked, exc.message)
                refused = exc
    connection.refresh_from_db()
    if refused is not None:
        raise refused
    return decrypted(connection.access_token)


def session_for(connection: Connection) -> ApiSession:
    """An ``ApiSession`` whose token is this connection's, renewed as ``access_token`` says."""
    return ApiSession(token=lambda force=False: access_token(connection, force=force))
