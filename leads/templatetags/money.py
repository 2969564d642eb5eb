"""``{% load money %}``: ``{{ amount|money:current_client.currency }}`` (cents only when there are some),
``{{ total|money_whole:current_client.currency }}`` (rounded) and ``{{ current_client.currency|currency_symbol }}``
(``€``), in the page's language (``leads.money``)."""

from django import template

from leads.money import money_symbol, money_text

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    return money_text(amount, currency)


@register.filter
def money_whole(amount, currency: str) -> str:
    return money_text(amount, currency, whole=True)


@register.filter
def currency_symbol(currency: str) -> str:
    return money_symbol(currency)
