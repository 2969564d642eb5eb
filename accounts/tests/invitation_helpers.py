"""Helpers of the invitation and people tests: send an invitation and read its link's token from the
mail, as the invited person would."""

from __future__ import annotations

import re

from django.core import mail

from accounts.invitations import invitation_send
from accounts.models import Invitation

LINK = re.compile(r"https?://[^\s]+/invitations/([A-Za-z0-9_-]+)/")
STRONG_PASSWORD = "a-long-and-unusual-passphrase-2026"


def token_in(message) -> str:
    """The token of the invitation link in ``message`` (a mail of django.core.mail.outbox)."""
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def invited(by, email: str, role: str, *, client=None, agency=None) -> tuple[Invitation, str]:
    """An invitation sent by ``by`` and the token its mail carries."""
    sent_before = len(mail.outbox)
    invitation = invitation_send(by=by, email=email, role=role, client=client, agency=agency)
    assert len(mail.outbox) == sent_before + 1
    return invitation, token_in(mail.outbox[-1])
