"""``{% client_url client "name" arg… %}``: a link into a client's account from a public page."""

from django import template

from tenants import urlconfs

register = template.Library()


@register.simple_tag
def client_url(client, name: str, *args, **kwargs) -> str:
    return urlconfs.client_url(client, name, *args, **kwargs)
