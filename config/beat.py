"""Celery beat's scheduler: django-celery-beat's tables of the public schema, and nothing else.

Every periodic task of Pouls is defined in ``CELERY_BEAT_SCHEDULE``, sent from the public schema, and
fans out to the clients itself. tenant-schemas-celery's ``TenantAwareDatabaseScheduler`` also read beat
tables in every client schema, every tick (two queries per client: ~20,000 a tick at 10,000 clients);
this one reads the public schema's only, so a tick costs the same few queries whatever the number of
clients. The client schemas no longer have beat tables (annotations' migration 0002 drops them).
"""

from __future__ import annotations

import copy

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django_celery_beat.schedulers import DatabaseScheduler
from django_tenants.utils import get_public_schema_name


def public_entries(beat_schedule: dict[str, dict]) -> dict[str, dict]:
    """The ``CELERY_BEAT_SCHEDULE`` entries as django-celery-beat stores them, sent in the public schema.

    An entry may still say ``"tenant_schemas": ["public"]`` (tenant-schemas-celery's key): any other
    schema is refused, because nothing here would send it there. Each entry keeps the name the
    tenant-aware scheduler gave its row (``name@public``): deploying this scheduler reuses the rows
    and their last run instead of adding a second, due-at-once row per entry."""
    public = get_public_schema_name()
    entries = {}
    for name, fields in copy.deepcopy(beat_schedule).items():
        schemas = fields.pop("tenant_schemas", [public])
        if list(schemas) != [public]:
            raise ImproperlyConfigured(
                f"CELERY_BEAT_SCHEDULE[{name!r}]: beat sends from the {public!r} schema only "
                f"(tenant_schemas={schemas!r}); let the task fan out to the clients"
            )
        options = fields.setdefault("options", {})
        # The header tenant-schemas-celery's workers read: the task runs in the public schema.
        options.setdefault("headers", {})["_schema_name"] = public
        # django-celery-beat's rows keep an expiry in seconds under another name, and drop `expires`.
        if isinstance(options.get("expires"), int | float):
            options["expire_seconds"] = int(options.pop("expires"))
        entries[f"{name}@{public}"] = fields
    return entries


class PublicDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's ``DatabaseScheduler`` on the public schema's tables."""

    def __init__(self, *args, **kwargs):
        # Beat's connection never enters a client: its queries and the tasks it sends (their schema
        # header defaults to the connection's) stay in the public schema.
        connection.set_schema_to_public()
        super().__init__(*args, **kwargs)

    def setup_schedule(self):
        self.install_default_entries(self.schedule)
        self.update_from_dict(public_entries(self.app.conf.beat_schedule))
