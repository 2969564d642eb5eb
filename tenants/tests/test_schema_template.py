"""A client's schema is the template's DDL replayed (tenants.schema_template): the same tables, columns,
constraints, indexes, functions, triggers and rows as the template, described once per migration state,
and created without reading the catalog, so that creation does not slow down as clients grow.

The comparison reads both schemas through ``information_schema`` and ``pg_indexes``, not through the
generator's own ``pg_catalog`` queries, so a description the generator gets wrong shows here."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from kpis.models import DirtyDay
from tenants.models import SchemaTemplate
from tenants.schema_template import TemplateUnsupported, client_schema_create, template_statements
from tenants.services import client_create

pytestmark = pytest.mark.django_db

TEMPLATE = settings.TENANT_BASE_SCHEMA


def _rows(query: str, schema: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, {"schema": schema})
        return sorted(tuple(str(value) for value in row) for row in cursor.fetchall())


def _schema_description(schema: str) -> dict[str, list[tuple]]:
    """Everything a client schema is made of, with the schema's own name taken out of the text."""
    queries = {
        "columns": """SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length,
                             numeric_precision, numeric_scale, is_nullable, column_default, is_identity,
                             identity_generation, is_generated, generation_expression, collation_name
                      FROM information_schema.columns WHERE table_schema = %(schema)s""",
        "constraints": """SELECT tc.table_name, tc.constraint_name, tc.constraint_type, tc.is_deferrable,
                                 tc.initially_deferred, pg_get_constraintdef(c.oid)
                          FROM information_schema.table_constraints tc
                          JOIN pg_constraint c ON c.conname = tc.constraint_name
                           AND c.connamespace = tc.constraint_schema::regnamespace
                          WHERE tc.table_schema = %(schema)s AND tc.constraint_type <> 'CHECK'
                             OR tc.table_schema = %(schema)s AND c.contype = 'c'""",
        "foreign keys": """SELECT kcu.table_name, kcu.column_name, ccu.table_schema = %(schema)s, ccu.table_name,
                                  rc.update_rule, rc.delete_rule
                           FROM information_schema.referential_constraints rc
                           JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
                            AND kcu.constraint_schema = rc.constraint_schema
                           JOIN information_schema.constraint_column_usage ccu
                             ON ccu.constraint_name = rc.constraint_name
                            AND ccu.constraint_schema = rc.constraint_schema
                           WHERE rc.constraint_schema = %(schema)s""",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(schema)s",
        "triggers": """SELECT event_object_table, trigger_name, event_manipulation, action_timing,
                              action_orientation, action_condition, action_statement
                       FROM information_schema.triggers WHERE trigger_schema = %(schema)s""",
        "functions": """SELECT routine_name, data_type, external_language, routine_definition
                        FROM information_schema.routines WHERE routine_schema = %(schema)s""",
        "sequences": """SELECT sequence_name, data_type, start_value, minimum_value, maximum_value, increment
                        FROM information_schema.sequences WHERE sequence_schema = %(schema)s""",
        "positions": "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %(schema)s",
        "tables": """SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %(schema)s""",
    }
    description = {}
    for part, query in queries.items():
        rows = _rows(query, schema)
        description[part] = [tuple(value.replace(schema, "<schema>") for value in row) for row in rows]
    return description


def _contents(schema: str) -> dict[str, list[tuple]]:
    tables = [row[0] for row in _rows("SELECT tablename FROM pg_tables WHERE schemaname = %(schema)s", schema)]
    with connection.cursor() as cursor:
        contents = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{schema}"."{table}"')
            contents[table] = sorted(map(repr, cursor.fetchall()))
    return contents


CATALOG_TABLES = (
    "information_schema",
    "pg_class",
    "pg_attribute",
    "pg_constraint",
    "pg_index",
    "pg_proc",
    "pg_trigger",
)


def _catalog_reads(captured: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().startswith("SELECT") and any(table in query["sql"] for table in CATALOG_TABLES)
    ]


def test_a_new_client_schema_is_the_template_with_its_rows_and_the_template_is_described_once():
    SchemaTemplate.objects.all().delete()  # described again from the template, within this test
    with CaptureQueriesContext(connection) as first:
        one, _ = client_create(slug="replayed-one", name="Replayed One")
    with CaptureQueriesContext(connection) as second:
        two, _ = client_create(slug="replayed-two", name="Replayed Two")

    template = _schema_description(TEMPLATE)
    assert len(template["tables"]) > 40 and len(template["triggers"]) > 20 and len(template["functions"]) > 10
    assert _schema_description(one.schema_name) == template
    assert _schema_description(two.schema_name) == template
    assert _contents(one.schema_name) == _contents(TEMPLATE)  # migration records, reference rows
    assert SchemaTemplate.objects.count() == 1

    # described once: the second creation reads no catalog table (a schema's name looked up aside)
    assert _catalog_reads(second) == []
    assert len(_catalog_reads(first)) > 5  # the description, the first time
    assert len(second.captured_queries) < len(first.captured_queries)


def test_the_replayed_schema_works_as_a_client_its_triggers_and_identities_included():
    client, _ = client_create(slug="replayed-live", name="Replayed Live")
    with tenant_context(client):
        DirtyDay.objects.all().delete()
        from campaigns.models import Channel

        channel = Channel.objects.order_by("pk").first()
        channel.key = f"{channel.key}-renamed"
        channel.save()  # a trigger of the schema marks the KPI days to recompute
        assert DirtyDay.objects.exists()
        created = Channel.objects.create(key="replay-new", name="New")
        assert created.pk > Channel.objects.exclude(pk=created.pk).order_by("-pk").first().pk


def test_a_new_migration_state_is_described_anew():
    client_create(slug="replayed-state-a", name="State A")
    before = SchemaTemplate.objects.get()
    with connection.cursor() as cursor:  # the template gains a column, and a migration record says so
        cursor.execute(f'ALTER TABLE "{TEMPLATE}".campaigns_offer ADD COLUMN replay_probe integer DEFAULT 7')
        cursor.execute(
            f"INSERT INTO \"{TEMPLATE}\".django_migrations (app, name, applied) VALUES ('campaigns', 'probe', now())"
        )
    client, _ = client_create(slug="replayed-state-b", name="State B")

    after = SchemaTemplate.objects.get()
    assert after.state != before.state
    columns = _rows(
        "SELECT column_name, column_default FROM information_schema.columns"
        " WHERE table_schema = %(schema)s AND table_name = 'campaigns_offer' AND column_name = 'replay_probe'",
        client.schema_name,
    )
    assert columns == [("replay_probe", "7")]


def test_a_template_holding_what_the_generator_does_not_describe_is_refused_by_name():
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE VIEW "{TEMPLATE}".replay_probe_view AS SELECT 1 AS one')
        cursor.execute(f"CREATE TYPE \"{TEMPLATE}\".replay_probe_mood AS ENUM ('ok')")
    with pytest.raises(TemplateUnsupported, match=r"relation replay_probe_view \(relkind v\).*type replay_probe_mood"):
        template_statements(TEMPLATE)


def test_without_a_migrated_template_nothing_is_created():
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{TEMPLATE}" RENAME TO replay_probe_elsewhere')
    assert client_schema_create("c_replay_nothing") is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'c_replay_nothing'")
        assert cursor.fetchone() == (0,)
