from django.db import migrations

# Created in the migrating schema (first on the search path), so each client has its own copy,
# and the template's copy is cloned with it.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION leads_stagetransition_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the stage history is append-only: entries are never updated'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER leads_stagetransition_no_update BEFORE UPDATE ON leads_stagetransition
    FOR EACH ROW EXECUTE FUNCTION leads_stagetransition_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS leads_stagetransition_no_update ON leads_stagetransition;
DROP FUNCTION IF EXISTS leads_stagetransition_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunSQL(APPEND_ONLY, DROP)]
