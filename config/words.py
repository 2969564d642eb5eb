"""Words built around a name, so that a message reads as its language writes it.

French elides "de" before a vowel or a mute h: "le responsable d'Arthur", "d'Inès", "d'Hugo", but
"de Claire". A message that names someone after "of" therefore takes the whole phrase as one
parameter (``%(of_lead)s``), made here, instead of writing "de %(lead)s" in its translation. Every
h is taken as mute: names with an aspirated h ("de Hugues" for some) are rare, and "d'" before them
is still understood.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import get_language

# Lower-case letters before which French elides "de" (accents are stripped before comparing).
ELIDING_INITIALS = frozenset("aeiouyh")


def _initial(name: str) -> str:
    """The first letter of ``name``, lower-case and without its accent (``Inès`` → ``i``, ``Émile`` → ``e``)."""
    for character in unicodedata.normalize("NFD", name.strip()):
        if character.isalpha():
            return character.lower()
    return ""


def elides(name: str) -> bool:
    """Whether French writes ``d'`` rather than ``de`` before ``name``."""
    return _initial(name) in ELIDING_INITIALS


def of_name(name: object) -> str:
    """``name`` after "of", in the active language: ``of Arthur`` in English; ``d'Arthur``,
    ``d'Inès``, ``d'Hugo`` or ``de Claire`` in French. Pouls speaks French and English only."""
    text = str(name)
    if (get_language() or "").startswith("fr"):
        return f"d'{text}" if elides(text) else f"de {text}"
    return f"of {text}"
