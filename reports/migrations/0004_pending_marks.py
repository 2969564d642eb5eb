"""Report work marks its client (tenants.PendingWork), so that ``reports.due`` visits those clients only:

- a delivery left queued, rendering or sending (kind ``report_sends``): it is sent, or taken up again
  once its worker's lease expires;
- a schedule created or changed (kind ``reports``): due at once. The ``reports`` mark's ``marked_at``
  is the wall-clock time, in the client's zone, of its next scheduled run, written as if it were UTC
  (``reports.pending``); this one is far in the past, so the next tick visits the client and marks
  its next run. Upserted to the earlier of the two times, so a change never postpones a visit.

Statement-level, after an insert or an update, with the new rows as a transition table: one upsert per
statement into the public ``tenants_pendingwork`` (one row per client and kind). Created in the
migrating schema, so every client has its own copy and the template's is cloned with it. The clients
that have active schedules or deliveries in flight at this migration are marked at once.

The spec lives here, not in the app, so that this migration keeps meaning what it meant.
"""

from django.db import migrations

SENDS, SENDS_FUNCTION, WAITING = "report_sends", "reports_mark_waiting_deliveries", "{queued,rendering,sending}"
DUE, DUE_FUNCTION, AT_ONCE = "reports", "reports_mark_schedule_due", "2000-01-01 00:00:00+00"
EVENTS = ("INSERT", "UPDATE")

FORWARD = [
    f"""
CREATE OR REPLACE FUNCTION {SENDS_FUNCTION}() RETURNS trigger AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows WHERE status = ANY ('{WAITING}'::text[])) THEN
        INSERT INTO public.tenants_pendingwork (client_id, kind, marked_at)
        SELECT id, '{SENDS}', now() FROM public.tenants_client WHERE schema_name = TG_TABLE_SCHEMA
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql""",  # noqa: S608 (constants of this migration)
    f"""
CREATE OR REPLACE FUNCTION {DUE_FUNCTION}() RETURNS trigger AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        INSERT INTO public.tenants_pendingwork AS mark (client_id, kind, marked_at)
        SELECT id, '{DUE}', '{AT_ONCE}'::timestamptz FROM public.tenants_client WHERE schema_name = TG_TABLE_SCHEMA
        ON CONFLICT (client_id, kind) DO UPDATE SET marked_at = LEAST(mark.marked_at, EXCLUDED.marked_at);
    END IF;
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql""",  # noqa: S608 (constants of this migration)
    *(
        f"CREATE TRIGGER pending_mark_{event.lower()} AFTER {event} ON {table} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for table, function in (("reports_reportdelivery", SENDS_FUNCTION), ("reports_reportschedule", DUE_FUNCTION))
        for event in EVENTS
    ),
    f"""
INSERT INTO public.tenants_pendingwork (client_id, kind, marked_at)
SELECT id, '{SENDS}', now() FROM public.tenants_client WHERE schema_name = current_schema()
  AND EXISTS (SELECT 1 FROM reports_reportdelivery WHERE status = ANY ('{WAITING}'::text[]))
ON CONFLICT DO NOTHING""",  # noqa: S608 (constants of this migration)
    f"""
INSERT INTO public.tenants_pendingwork (client_id, kind, marked_at)
SELECT id, '{DUE}', '{AT_ONCE}'::timestamptz FROM public.tenants_client WHERE schema_name = current_schema()
  AND EXISTS (SELECT 1 FROM reports_reportschedule WHERE active)
ON CONFLICT DO NOTHING""",  # noqa: S608 (constants of this migration)
]
BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS pending_mark_{event.lower()} ON {table}"
        for table in ("reports_reportdelivery", "reports_reportschedule")
        for event in EVENTS
    ),
    f"DROP FUNCTION IF EXISTS {SENDS_FUNCTION}()",
    f"DROP FUNCTION IF EXISTS {DUE_FUNCTION}()",
]


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_once_per_period_with_its_end"), ("tenants", "0010_pending_work")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
