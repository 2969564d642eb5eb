"""Tokens at rest (config.crypto) and the key rotation (``manage.py connectors_rotate_key``): the columns
never hold a token in clear; after a rotation the old key can be dropped and every token still opens."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from config.crypto import InvalidToken, decrypted, encrypted
from connectors.models import Connection

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _columns(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM connectors_connection WHERE id = %s", [pk])
        return cursor.fetchone()


def test_encrypted_hides_the_text_and_decrypts_back(settings):
    settings.POULS_ENCRYPTION_KEY = OLD
    secret = "ya29.a-token-that-must-not-show"
    token = encrypted(secret)
    assert secret not in token and decrypted(token) == secret
    assert encrypted(secret) != token  # a fresh IV each time: equal tokens do not look equal
    assert (encrypted(""), decrypted("")) == ("", "")
    settings.POULS_ENCRYPTION_KEY = NEW
    with pytest.raises(InvalidToken):
        decrypted(token)


def test_rotation_re_encrypts_every_token_under_the_first_key(db, world, settings):
    settings.POULS_ENCRYPTION_KEY = OLD
    google = Connection.objects.create(
        agency=world.agency, provider="google", access_token=encrypted("access-g"), refresh_token=encrypted("refresh-g")
    )
    meta = Connection.objects.create(agency=world.other_agency, provider="meta", access_token=encrypted("access-m"))
    before = {c.pk: _columns(c.pk) for c in (google, meta)}

    settings.POULS_ENCRYPTION_KEY = f"{NEW},{OLD}"  # the new key first, the old one still opens
    out = StringIO()
    call_command("connectors_rotate_key", stdout=out)
    assert "2 connection(s) re-encrypted" in out.getvalue()
    assert all(_columns(pk)[0] != before[pk][0] for pk in before)
    assert _columns(meta.pk)[1] == ""  # nothing to hide stays empty

    settings.POULS_ENCRYPTION_KEY = NEW  # the old key dropped
    assert tuple(decrypted(v) for v in _columns(google.pk)) == ("access-g", "refresh-g")
    assert decrypted(_columns(meta.pk)[0]) == "access-m"
    for pk in before:  # and the old ciphertexts no longer open: the rotation was needed
        with pytest.raises(InvalidToken):
            decrypted(before[pk][0])


def test_the_command_documents_the_rotation():
    from connectors.management.commands.connectors_rotate_key import Command

    assert "first key of POULS_ENCRYPTION_KEY" in Command.help and "drop the old key" in Command.help
