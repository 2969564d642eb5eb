"""django-tenants' migrate_schemas, plus the template schema new clients are cloned from.

After a run that migrates every tenant (no single schema named), the template is migrated too,
so a client cloned afterwards is never behind its migration records.
"""

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.services import template_schema_migrate


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if self.sync_tenant and not options.get("schema_name") and not options.get("app_label"):
            template_schema_migrate(verbosity=int(options.get("verbosity", 1)))
