"""Definition version 2 (daily facts cut at the local date of as-of, the costs per stage): a client's
snapshots of version 1 are rebuilt by its next refresh, a full one, instead of waiting for the
nightly one. The mark is the refresh's own "everything changed" (kpis.models.DirtyDay, NULL/NULL)."""

from django.db import migrations


def everything_dirty(apps, schema_editor):
    apps.get_model("kpis", "DirtyDay").objects.create(source=None, day=None)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0005_custom_kpi")]

    operations = [migrations.RunPython(everything_dirty, migrations.RunPython.noop)]
