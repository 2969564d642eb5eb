"""Secrets at rest (connector tokens, app secrets): Fernet tokens under ``POULS_ENCRYPTION_KEY``.

The setting holds one or more Fernet keys, comma-separated: the first encrypts, every one decrypts
(``MultiFernet``), so a key is rotated without downtime — put the new key first, run
``manage.py connectors_rotate_key`` (``rotated``), then drop the old key (docs/connectors.md).
Unset outside production, one key is derived from ``SECRET_KEY`` so that local runs and the suite
work; production settings require the variable."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypted", "encrypted", "rotated"]


@cache
def _keys(setting: str, secret_key: str) -> MultiFernet:
    keys = [k.strip() for k in setting.split(",") if k.strip()]
    if not keys:
        keys = [base64.urlsafe_b64encode(hashlib.sha256(b"pouls-fernet:" + secret_key.encode()).digest()).decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("POULS_ENCRYPTION_KEY: each key must be 32 url-safe base64-encoded bytes") from exc


def _fernet() -> MultiFernet:
    return _keys(settings.POULS_ENCRYPTION_KEY, settings.SECRET_KEY)


def encrypted(plain: str) -> str:
    """The Fernet token of ``plain`` (empty stays empty: nothing to hide, nothing to decrypt)."""
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypted(token: str) -> str:
    """The text ``encrypted`` hid; ``InvalidToken`` when no configured key opens it."""
    return _fernet().decrypt(token.encode()).decode() if token else ""


def rotated(token: str) -> str:
    """``token`` re-encrypted under the first key (unchanged when empty)."""
    return _fernet().rotate(token.encode()).decode() if token else ""
