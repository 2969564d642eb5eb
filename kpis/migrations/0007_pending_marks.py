"""A dirty day (kpis.DirtyDay) marks its client as having a KPI refresh pending (tenants.PendingWork).

Statement-level, with the new rows as a transition table: one upsert into the public
``tenants_pendingwork`` per statement that inserted rows, ON CONFLICT DO NOTHING (one row per client
and kind, whatever the writes), read and taken by the fan-out (docs/architecture.md, "Jobs").
Created in the migrating schema, so every client has its own copy and the template's is cloned with it;
in the template (no client row) it marks nothing.

The spec lives here, not in the app, so that this migration keeps meaning what it meant.
"""

from django.db import migrations

FUNCTION = "kpis_mark_pending"
TRIGGERS = {"kpis_dirtyday": "kpis"}  # table: kind of the mark

FORWARD = [
    f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        INSERT INTO public.tenants_pendingwork (client_id, kind, marked_at)
        SELECT id, TG_ARGV[0], now() FROM public.tenants_client WHERE schema_name = TG_TABLE_SCHEMA
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql""",  # noqa: S608 (constants of this migration)
    *(
        f"CREATE TRIGGER pending_mark AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{kind}')"
        for table, kind in TRIGGERS.items()
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS pending_mark ON {table}" for table in TRIGGERS),
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]


class Migration(migrations.Migration):
    dependencies = [("kpis", "0006_definition_v2_full_refresh"), ("tenants", "0010_pending_work")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
