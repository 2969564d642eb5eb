"""Triggers that mark the local days whose facts changed (kpis.DirtyDay), on every fact table.

Statement-level with transition tables: an import of 100,000 rows adds one row per (source, day)
it touches, and every write path (services, imports' set-based upserts, tracking rollups,
webhooks, raw SQL) is covered. An update marks only rows whose KPI-relevant columns changed, in
both their old and new versions (a lead moved to another month dirties both months). A change to a
catalogue key, a campaign's channel or a channel's paid flag changes rows of every period: it marks
everything (source and day NULL). Created in the migrating schema, so each client has its own copy
and the template's copy is cloned with it.

The spec lives here, not in the app, so that this migration keeps meaning what it meant.
"""

from django.db import migrations

LOCAL = "(({col}) AT TIME ZONE $1)::date"  # $1: the client's zone
FACTS = {
    # table: ((source, local day expression over row r), …), KPI-relevant columns
    "leads_lead": (
        (("created", LOCAL.format(col="r.created_at")), ("mql", LOCAL.format(col="r.mql_at")),
         ("sql", LOCAL.format(col="r.sql_at")), ("customer", LOCAL.format(col="r.customer_at"))),
        ("created_at", "mql_at", "sql_at", "customer_at", "channel_id", "campaign_id", "offer_id",
         "landing_page_id", "deal_value"),
    ),
    "campaigns_traffic": ((("traffic", "r.date"),), ("date", "channel_id", "landing_page_id", "visits")),
    "campaigns_spend": ((("spend", "r.date"),), ("date", "campaign_id", "amount")),
    "campaigns_ctastat": ((("cta", "r.date"),), ("date", "cta_id", "views", "clicks")),
    "campaigns_keywordstat": ((("keyword", "r.date"),), ("date", "keyword", "visits")),
    "campaigns_emailsend": (
        (("email", LOCAL.format(col="r.sent_at")),),
        ("key", "sent_at", "campaign_id", "sent", "delivered", "unique_opens", "unique_clicks", "unsubscribes"),
    ),
}
CATALOGUE = {
    "campaigns_channel": ("key", "is_paid"),
    "campaigns_campaign": ("key", "channel_id"),
    "campaigns_offer": ("key",),
    "campaigns_landingpage": ("key",),
    "campaigns_cta": ("key",),
}


def _fact_function(table: str, marks, columns) -> list[str]:
    values = ", ".join(f"('{source}', {expr})" for source, expr in marks)
    insert = (
        "INSERT INTO %I.kpis_dirtyday (source, day) SELECT DISTINCT m.source, m.day FROM ({rows}) r "
        f"CROSS JOIN LATERAL (VALUES {values}) m(source, day) WHERE m.day IS NOT NULL"
    )
    new, old = ", ".join(f"n.{c}" for c in columns), ", ".join(f"o.{c}" for c in columns)
    changed = (
        f"SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE ({new}) IS DISTINCT FROM ({old}) "
        f"UNION ALL SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ({new}) IS DISTINCT FROM ({old})"
    )
    function = f"""
CREATE OR REPLACE FUNCTION kpis_dirty_{table}() RETURNS trigger AS $fn$
DECLARE
    tz text;
BEGIN
    SELECT time_zone INTO tz FROM public.tenants_client WHERE schema_name = TG_TABLE_SCHEMA;
    tz := COALESCE(tz, 'UTC');
    IF TG_OP = 'INSERT' THEN
        EXECUTE format($q${insert.format(rows="SELECT * FROM new_rows")}$q$, TG_TABLE_SCHEMA) USING tz;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format($q${insert.format(rows="SELECT * FROM old_rows")}$q$, TG_TABLE_SCHEMA) USING tz;
    ELSE
        EXECUTE format($q${insert.format(rows=changed)}$q$, TG_TABLE_SCHEMA) USING tz;
    END IF;
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql"""
    return [
        function,
        f"CREATE TRIGGER kpis_dirty_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION kpis_dirty_{table}()",
        f"CREATE TRIGGER kpis_dirty_update AFTER UPDATE ON {table} REFERENCING NEW TABLE AS new_rows "
        f"OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpis_dirty_{table}()",
        f"CREATE TRIGGER kpis_dirty_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION kpis_dirty_{table}()",
    ]


def _catalogue_function(table: str, columns) -> list[str]:
    new, old = ", ".join(f"NEW.{c}" for c in columns), ", ".join(f"OLD.{c}" for c in columns)
    function = f"""
CREATE OR REPLACE FUNCTION kpis_dirty_{table}() RETURNS trigger AS $fn$
BEGIN
    EXECUTE format('INSERT INTO %I.kpis_dirtyday (source, day) VALUES (NULL, NULL)', TG_TABLE_SCHEMA);
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql"""
    return [
        function,
        f"CREATE TRIGGER kpis_dirty_update AFTER UPDATE ON {table} FOR EACH ROW "
        f"WHEN (({new}) IS DISTINCT FROM ({old})) EXECUTE FUNCTION kpis_dirty_{table}()",
    ]


def _drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS kpis_dirty_{op} ON {table}" for op in ("insert", "update", "delete")] + [
        f"DROP FUNCTION IF EXISTS kpis_dirty_{table}()"
    ]


# Lists of statements: RunSQL runs each as it is (no splitting inside the dollar-quoted bodies).
FORWARD = [sql for t, (marks, cols) in FACTS.items() for sql in _fact_function(t, marks, cols)] + [
    sql for t, cols in CATALOGUE.items() for sql in _catalogue_function(t, cols)
]
BACKWARD = [sql for t in [*FACTS, *CATALOGUE] for sql in _drop(t)]


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
        ("leads", "0003_capture_rate_window"),
        ("campaigns", "0007_import_job"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
