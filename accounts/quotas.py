"""How many account mails and sign-ups Pouls accepts, so that its pages cannot be used to flood an
inbox: anyone may type anyone's address into the sign-up, confirmation or password-reset forms.

Counted in the shared ``throttle`` cache (``config.throttling``), so every process agrees.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils.translation import ngettext

from config.throttling import Quota

# Agencies signed up from one address (``config.client_address``) per hour: an office signing up a
# few agencies passes; a script mailing confirmation links to a list of strangers does not get far.
SIGNUPS_PER_ADDRESS = Quota(scope="signup_address", limit=5, window=timedelta(hours=1))
# Account mails (confirmation, password reset) to one email address per hour: a lost mail can be
# asked for again, a stranger cannot fill somebody's inbox.
ACCOUNT_MAILS_PER_RECIPIENT = Quota(scope="account_mail_recipient", limit=3, window=timedelta(hours=1))


def account_mail_allowed(email: str) -> bool:
    """Count one account mail to ``email``; ``False`` (and nothing counted) when its quota is spent."""
    return ACCOUNT_MAILS_PER_RECIPIENT.take(email.strip().lower()) is None


def wait_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "Too many sign-ups from your address. Try again in %(minutes)d minute.",
        "Too many sign-ups from your address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
