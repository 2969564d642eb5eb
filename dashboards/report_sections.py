"""The sections a client report may carry, in the order the report prints them: one home for the keys
that a schedule stores, the print view reads and the API and forms validate."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

REPORT_SECTIONS = (
    ("families", _("KPI families")),
    ("pinned", _("Pinned cards")),
    ("charts", _("Charts")),
    ("annotations", _("Annotations")),
    ("objectives", _("Objectives and pacing")),
)
SECTION_KEYS = tuple(key for key, _label in REPORT_SECTIONS)
DEFAULT_REPORT_SECTIONS = list(SECTION_KEYS)


def report_sections_checked(keys: Iterable[str]) -> list[str]:
    """``keys`` in the report's order; ``ValidationError`` for an unknown key or one given twice, so a
    schedule never stores a section the report cannot print."""
    keys = list(keys)
    unknown = [key for key in keys if key not in SECTION_KEYS]
    if unknown:
        raise ValidationError(
            _("Unknown report section: %(keys)s. Choose among: %(choices)s."),
            code="unknown_section",
            params={"keys": ", ".join(str(key) for key in unknown), "choices": ", ".join(SECTION_KEYS)},
        )
    if len(set(keys)) != len(keys):
        raise ValidationError(_("Each report section may be chosen only once."), code="duplicate_section")
    return [key for key in SECTION_KEYS if key in keys]
