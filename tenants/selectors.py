"""Reads of the public schema that more than one caller needs."""

from __future__ import annotations

from django.db.models import Q

from tenants.models import Agency


def user_preferred_language(user) -> str:
    """The user's own language, else the default of an agency they work for or with."""
    if user.language:
        return user.language
    agency = (
        Agency.objects.filter(Q(memberships__user=user) | Q(clients__memberships__user=user))
        .order_by("pk")
        .values_list("default_language", flat=True)
        .first()
    )
    return agency or ""
