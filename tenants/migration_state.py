"""Which client schemas are behind the code's migrations, read for all of them at once.

Django's `migrate` finds this out schema by schema, paying its start-up work (the migration
loader, four scans of the catalog through ``table_names()``) for each one even when nothing is
to be applied; with thousands of schemas a deploy would take hours. Here every schema's
``django_migrations`` is read by one UNION ALL statement and compared with the migrations the
code defines for the tenant apps, so that `migrate` only visits the schemas that need it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

# Reading a table locks it until the transaction ends, and PostgreSQL's lock table holds about
# max_locks_per_transaction x max_connections entries (6,400 by default): past this many schemas
# the read is split into statements (each its own transaction in autocommit).
SCHEMAS_PER_QUERY = 1000


def tenant_migrations() -> frozenset[tuple[str, str]]:
    """Every (app, name) migration of the tenant apps in the code's migration graph.

    Built without a connection, the graph uses a squashed migration in place of the ones it
    replaces; Django records the squashed one as applied once all of those are, at the next
    migrate of the schema."""
    tenant_apps = set(settings.TENANT_APPS)
    labels = {
        config.label
        for config in apps.get_app_configs()
        if config.name in tenant_apps or f"{type(config).__module__}.{type(config).__name__}" in tenant_apps
    }
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return frozenset(key for key in graph.nodes if key[0] in labels)


def schemas_behind(schemas: Iterable[str], *, using: str = "default") -> list[str]:
    """The schemas of ``schemas`` (in their order) that miss at least one tenant-app migration.

    A schema without a ``django_migrations`` table (just created) has nothing applied. Queries:
    one to find the schemas having the table, one per SCHEMAS_PER_QUERY schemas to count the
    migrations each has applied; none of them depends on the size of the catalog."""
    schemas = list(schemas)
    if not schemas:
        return []
    required = sorted(tenant_migrations())
    applied: dict[str, int] = {}
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = 'django_migrations' AND c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)",
            [schemas],
        )
        having_table = {row[0] for row in cursor.fetchall()}
        readable = [schema for schema in schemas if schema in having_table]
        for start in range(0, len(readable), SCHEMAS_PER_QUERY):
            cursor.execute(
                _applied_counts_query(readable[start : start + SCHEMAS_PER_QUERY]).as_string(cursor.connection),
                [[app for app, _ in required], [name for _, name in required]],
            )
            applied.update(cursor.fetchall())
    return [schema for schema in schemas if applied.get(schema, 0) < len(required)]


def _applied_counts_query(schemas: list[str]) -> sql.Composed:
    """(schema, how many of the required migrations it has applied) for each of ``schemas``
    having applied at least one; the required (app, name) pairs are the two array parameters."""
    applied = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}::text AS schema_name, app, name FROM {}.django_migrations").format(
            sql.Literal(schema), sql.Identifier(schema)
        )
        for schema in schemas
    )
    return sql.SQL(
        "WITH required (app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[]))"
        " SELECT applied.schema_name, count(DISTINCT (applied.app, applied.name))"
        " FROM ({}) AS applied JOIN required USING (app, name)"
        " GROUP BY applied.schema_name"
    ).format(applied)
