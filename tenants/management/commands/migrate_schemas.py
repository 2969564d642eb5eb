"""django-tenants' migrate_schemas, plus the template schema new clients are cloned from, and
skipping the client schemas already up to date.

A run that brings schemas to the code's latest migrations first reads every schema's applied
migrations at once (``tenants.migration_state``) and prints "N schemas up to date, M to migrate";
only the M are visited, several at a time (django-tenants' multiprocessing executor, with
``TENANT_MULTIPROCESSING_MAX_PROCESSES`` processes, from ``POULS_MIGRATE_PROCESSES``) unless
``--executor`` names another. After a run that migrates every tenant (no single schema named), the
template is migrated too (when behind), so a client cloned afterwards is never behind its
migration records. Targeted runs (an app or a migration named, --plan, --prune, --run-syncdb as
the test database's creation does) are django-tenants' own, unchanged.
"""

import sys

from django.conf import settings
from django.db import connections
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION, MigrateSchemasCommand
from django_tenants.utils import (
    get_public_schema_name,
    get_tenant_migration_order,
    get_tenant_model,
    has_multi_type_tenants,
    schema_exists,
)

from tenants.migration_state import schemas_behind
from tenants.schema_template import template_statements_refresh
from tenants.services import template_schema_migrate


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        if not _to_latest(options) or has_multi_type_tenants():
            super().handle(*args, **options)
            if self.sync_tenant and not options.get("schema_name") and not options.get("app_label"):
                template_schema_migrate(verbosity=int(options.get("verbosity", 1)))
            return
        SyncCommon.handle(self, *args, **options)
        public = get_public_schema_name()
        if self.sync_public:
            GET_EXECUTOR_FUNCTION(codename=self.executor)(self.args, self.options).run_migrations(tenants=[public])
        if self.sync_tenant:
            if self.schema_name and self.schema_name != public:
                if not schema_exists(self.schema_name, options.get("database")):
                    raise RuntimeError(f'Schema "{self.schema_name}" does not exist')
                self._migrate_behind([self.schema_name], options)
            elif not self.schema_name:
                self._migrate_behind([*self._client_schemas(public), self._template_schema(options)], options)
                template_statements_refresh()  # so the first client created after a deploy need not

    def _client_schemas(self, public: str) -> list[str]:
        schemas = get_tenant_model().objects.exclude(schema_name=public).values_list("schema_name", flat=True)
        if (order := get_tenant_migration_order()) is not None:
            schemas = schemas.order_by(*order)
        return list(schemas)

    def _template_schema(self, options) -> str:
        template = settings.TENANT_BASE_SCHEMA
        with connections[options["database"]].cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
        return template

    def _migrate_behind(self, schemas: list[str], options) -> None:
        behind = schemas_behind(schemas, using=options["database"])
        if int(options.get("verbosity", 1)) >= 1:
            up_to_date = len(schemas) - len(behind)
            self.stdout.write(
                f"{up_to_date} schema{'' if up_to_date == 1 else 's'} up to date, {len(behind)} to migrate"
            )
        if not behind:
            return
        if options.get("check_unapplied"):  # as Django's --check; a pool's worker would hang on the exit
            sys.exit(1)
        codename = self.executor
        if codename is None:  # one schema gains nothing from a pool of processes
            several = len(behind) > 1 and settings.TENANT_MULTIPROCESSING_MAX_PROCESSES > 1
            codename = "multiprocessing" if several else "standard"
        GET_EXECUTOR_FUNCTION(codename=codename)(self.args, self.options).run_migrations(tenants=behind)
        connections[options["database"]].set_schema_to_public()


def _to_latest(options) -> bool:
    """Whether the run brings schemas to the latest migrations (so a schema having them all can be
    skipped), rather than to a named one, or showing, pruning or syncing apps without migrations."""
    return not (
        options.get("app_label")
        or options.get("migration_name")
        or options.get("plan")
        or options.get("prune")
        or options.get("run_syncdb")
    )
