"""The token of an email-confirmation link: ``/signup/confirm/<token>/``.

A token is ``<user id in base 36>-<timestamp>-<hash>``. The hash is Django's password-reset HMAC
(``SECRET_KEY``, with its fallbacks) under a salt of its own, over the user's id, email, password hash,
last login and active flag, so that a token

- cannot be forged nor moved to another user (the HMAC),
- serves once: confirming activates the user and logs them in, which changes ``is_active`` and
  ``last_login``, so the hash no longer matches,
- expires after ``CONFIRMATION_DAYS``, independently of ``PASSWORD_RESET_TIMEOUT``.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int, int_to_base36

from tenants.models import User

CONFIRMATION_DAYS = 3
CONFIRMATION_MAX_AGE = timedelta(days=CONFIRMATION_DAYS)
# Ids are PostgreSQL bigints: a larger number in a forged token must not reach the query (an error, not "no").
_MAX_USER_ID = 2**63 - 1


class ConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "pouls.accounts.signup_tokens.ConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{int(user.is_active)}"

    def check_token(self, user, token) -> bool:
        """Django's check with the confirmation's own lifetime instead of ``PASSWORD_RESET_TIMEOUT``."""
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return 0 <= age <= CONFIRMATION_MAX_AGE.total_seconds()


_generator = ConfirmationTokenGenerator()


def confirmation_token_make(user: User) -> str:
    return f"{int_to_base36(user.pk)}-{_generator.make_token(user)}"


def confirmation_token_user(token: str) -> User | None:
    """The user ``token`` was made for while it is still good (genuine, unexpired, unused), else ``None``."""
    user_b36, _, rest = (token or "").partition("-")
    try:
        user_id = base36_to_int(user_b36)
    except ValueError:  # not base 36, or longer than 13 digits
        return None
    if not 0 < user_id <= _MAX_USER_ID:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or not _generator.check_token(user, rest):
        return None
    return user
