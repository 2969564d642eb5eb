# `migrate` is `migrate_schemas` (as in django-tenants), with the template schema kept current.
from tenants.management.commands.migrate_schemas import Command

__all__ = ["Command"]
