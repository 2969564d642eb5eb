"""Writes of marketing data."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from campaigns.models import Channel
from config.errors import DomainError


@transaction.atomic
def channel_create(*, key: str, name: str, is_paid: bool) -> Channel:
    """Add a client-specific channel next to the built-in GA4 ones."""
    key = key.strip().lower()
    if not key or not all(c.isalnum() or c in "_-" for c in key) or not key.isascii():
        raise DomainError("A channel key uses lower-case letters, digits, '_' and '-'.", field="key")
    if not name.strip():
        raise DomainError("A channel needs a name.", field="name")
    try:
        with transaction.atomic():
            return Channel.objects.create(key=key, name=name.strip(), is_paid=is_paid)
    except IntegrityError as exc:
        raise DomainError(f"A channel with key '{key}' already exists.", field="key") from exc
