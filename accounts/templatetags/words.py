"""Words and dates as their reader expects them: ``{{ name|of_name }}`` (a name after "of", see
``config.words.of_name``) and ``{{ instant|in_zone_of:client }}`` (an instant in a client's zone)."""

from django import template
from django.templatetags.tz import do_timezone

from config.words import of_name as _of_name
from tenants.zones import client_zone

register = template.Library()


@register.filter
def of_name(name) -> str:
    return _of_name(name)


@register.filter
def in_zone_of(instant, client):
    """``instant`` in ``client``'s zone (``tenants.zones.client_zone``), for ``|date`` to write that
    client's day and time whatever page shows it; unchanged without a client (an agency's row)."""
    if instant is None or client is None:
        return instant
    return do_timezone(instant, client_zone(client))
