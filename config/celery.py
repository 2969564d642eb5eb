"""The Celery app. Tasks are tenant-aware: a task sent inside a client's context carries the
client's schema in its headers and runs in that schema (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = CeleryApp("pouls")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
