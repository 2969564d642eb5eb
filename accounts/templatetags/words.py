"""``{{ name|of_name }}``: a name after "of", as its language writes it (``config.words.of_name``)."""

from django import template

from config.words import of_name as _of_name

register = template.Library()


@register.filter
def of_name(name) -> str:
    return _of_name(name)
