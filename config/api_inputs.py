"""Inputs PostgreSQL cannot take are refused at the edge of the API with a 400 naming the field,
instead of failing in the database with a 500.

- NUL characters: PostgreSQL text cannot hold them, nor compare with them. DRF's CharField refuses
  them, but a related key (``"campaign": "x\\u0000y"``), an owner's email or any field that looks
  something up would send them to a query. The API's parsers refuse them in every text of a request
  body (keys included), so no view or serializer has to remember.
- UTC offsets beyond ±15:59: Python reads ``…T00:00:00-17:06``, PostgreSQL does not (real zones
  span −12:00 to +14:00). Datetime filters and fields read offsets through ``utc_offset_checked``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework import parsers, serializers
from rest_framework.exceptions import ValidationError as ApiValidationError

NUL = "\x00"
NUL_MESSAGE = ProhibitNullCharactersValidator.message  # Django's own wording, translated by Django
# PostgreSQL's timestamptz input takes offsets up to 15:59 either way.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)
OFFSET_MESSAGE = _("The UTC offset must be between -15:59 and +15:59.")


# --- NUL characters --------------------------------------------------------------------------------


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


def nul_refused(data) -> None:
    """A 400 naming each top-level field of ``data`` whose text (or name) holds a NUL character."""
    fields = dict(data.lists()) if hasattr(data, "lists") else data  # a QueryDict: every value of every key
    if isinstance(fields, dict):
        refused = [
            str(key).replace(NUL, "") or "non_field_errors"
            for key, value in fields.items()
            if _has_nul(key) or _has_nul(value)
        ]
        if refused:
            raise ApiValidationError({field: [NUL_MESSAGE] for field in refused})
    elif _has_nul(fields):
        raise ApiValidationError({"non_field_errors": [NUL_MESSAGE]})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        nul_refused(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        nul_refused(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Form fields are checked; files are bytes and may hold anything (Django strips non-printable
    characters from their names)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        nul_refused(parsed.data)
        return parsed


# --- UTC offsets ---------------------------------------------------------------------------------


def utc_offset_checked(value: datetime) -> datetime:
    """``value``, unless its UTC offset is one PostgreSQL cannot read (a Django ValidationError)."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValidationError(OFFSET_MESSAGE, code="utc_offset")
    return value


class CheckedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        return utc_offset_checked(parsed) if parsed is not None else None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 datetime filter, refusing offsets PostgreSQL cannot read."""

    field_class = CheckedIsoDateTimeField


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, refusing offsets PostgreSQL cannot read (the same rule as the filters)."""

    default_error_messages = {"utc_offset": OFFSET_MESSAGE}

    def enforce_timezone(self, value):
        # The value as sent, before DRF moves it to the client's zone.
        try:
            utc_offset_checked(value)
        except ValidationError:
            self.fail("utc_offset")
        return super().enforce_timezone(value)
