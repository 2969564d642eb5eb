# `migrate` is `migrate_schemas` (as in django-tenants): template kept current, up-to-date schemas skipped.
from tenants.management.commands.migrate_schemas import Command

__all__ = ["Command"]
