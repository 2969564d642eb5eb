"""A client's time zone decides which local day every fact belongs to: changing it makes all of the
client's KPI measures stale, so it marks everything dirty for the next KPI refresh (kpis.DirtyDay)."""

from django.db import migrations

FORWARD = [
    """
CREATE OR REPLACE FUNCTION tenants_client_zone_changed() RETURNS trigger AS $fn$
BEGIN
    IF to_regclass(format('%I.kpis_dirtyday', NEW.schema_name)) IS NOT NULL THEN
        EXECUTE format('INSERT INTO %I.kpis_dirtyday (source, day) VALUES (NULL, NULL)', NEW.schema_name);
    END IF;
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql""",
    "CREATE TRIGGER tenants_client_zone_changed AFTER UPDATE OF time_zone ON tenants_client FOR EACH ROW "
    "WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone) EXECUTE FUNCTION tenants_client_zone_changed()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS tenants_client_zone_changed ON tenants_client",
    "DROP FUNCTION IF EXISTS tenants_client_zone_changed()",
]


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_user_email_unique_ci")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
