"""A queued import job marks its client as having import jobs to sweep (tenants.PendingWork, kind
``imports``): ``campaigns.import_jobs_sweep`` visits those clients only.

Statement-level, after an insert or an update, with the new rows as a transition table: one upsert into
the public ``tenants_pendingwork`` per statement that left a job queued, ON CONFLICT DO NOTHING (one row
per client and kind). A job's progress updates (running) mark nothing. Created in the migrating schema,
so every client has its own copy and the template's is cloned with it. The clients that have queued jobs
at this migration are marked at once.

The spec lives here, not in the app, so that this migration keeps meaning what it meant.
"""

from django.db import migrations

FUNCTION = "campaigns_mark_queued_jobs"
TABLE, KIND, STATUSES = "campaigns_importjob", "imports", "{queued}"

FORWARD = [
    f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows WHERE status = ANY (TG_ARGV[1]::text[])) THEN
        INSERT INTO public.tenants_pendingwork (client_id, kind, marked_at)
        SELECT id, TG_ARGV[0], now() FROM public.tenants_client WHERE schema_name = TG_TABLE_SCHEMA
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql""",  # noqa: S608 (constants of this migration)
    *(
        f"CREATE TRIGGER pending_mark_{event.lower()} AFTER {event} ON {TABLE} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{KIND}', '{STATUSES}')"
        for event in ("INSERT", "UPDATE")
    ),
    f"""
INSERT INTO public.tenants_pendingwork (client_id, kind, marked_at)
SELECT id, '{KIND}', now() FROM public.tenants_client
WHERE schema_name = current_schema() AND EXISTS (SELECT 1 FROM {TABLE} WHERE status = ANY ('{STATUSES}'::text[]))
ON CONFLICT DO NOTHING""",  # noqa: S608 (constants of this migration)
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS pending_mark_{event} ON {TABLE}" for event in ("insert", "update")),
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0014_pending_marks"), ("tenants", "0010_pending_work")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
