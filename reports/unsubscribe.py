"""Signed unsubscribe links for a report's external recipients (people without access to the client).

The token names the client's schema, the schedule and the address, signed with the project's secret
and a salt of its own (a token of another feature never passes here); it does not expire, since an
old report's link must keep working. A tampered or foreign token is refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.db import connection

from accounts.mail import absolute_url
from tenants.urlconfs import client_url

SALT = "pouls.reports.unsubscribe"


@dataclass(frozen=True)
class Unsubscription:
    schedule_id: int
    email: str


def unsubscribe_token(*, schedule_id: int, email: str) -> str:
    """The token of ``email``'s link for one schedule of the current client."""
    return signing.dumps({"c": connection.schema_name, "s": schedule_id, "e": email.lower()}, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> Unsubscription | None:
    """What a token asks, or None when it is tampered with or belongs to another client."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != connection.schema_name:
        return None
    schedule_id, email = data.get("s"), data.get("e")
    if not isinstance(schedule_id, int) or not isinstance(email, str):
        return None
    return Unsubscription(schedule_id=schedule_id, email=email)


def unsubscribe_link(client, *, schedule_id: int, email: str) -> str:
    """The absolute link of the confirmation page (GET shows it, POST unsubscribes)."""
    token = unsubscribe_token(schedule_id=schedule_id, email=email)
    return absolute_url(client_url(client, "report-unsubscribe", token=token))
