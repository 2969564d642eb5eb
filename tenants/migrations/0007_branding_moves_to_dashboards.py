"""Branding now belongs to ``dashboards`` (dashboards 0002): this drops it from the state of ``tenants``
only. The table, ``tenants_branding`` in the public schema, and its rows stay as they are. Its content
type follows the model, so the admin's history and any permission on it still point to it."""

from django.db import migrations


def content_type_follows(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label="dashboards", model="branding").exists():
        types.filter(app_label="tenants", model="branding").update(app_label="dashboards")


def content_type_returns(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label="tenants", model="branding").exists():
        types.filter(app_label="dashboards", model="branding").update(app_label="tenants")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tenants", "0006_throttle_cache"),
        ("dashboards", "0002_branding"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Branding")]),
        migrations.RunPython(content_type_follows, content_type_returns),
    ]
