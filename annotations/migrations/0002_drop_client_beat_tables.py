"""Drop django-celery-beat's tables from every client schema and the template.

Beat reads the public schema's tables only (config/beat.py), so ``django_celery_beat`` left TENANT_APPS;
its tables in the existing client schemas and in ``tenant_template`` (which new clients are cloned from)
were left behind, empty of anything Pouls uses. django-tenants runs a tenant app's migrations in every
client schema and the template, and no longer runs django_celery_beat's there: the DROP lives in a
tenant app every schema has, ``annotations``, although it is not about annotations. Its recorded
migrations in those schemas stay (without the app among the tenant apps they are no-ops there).
"""

from django.db import migrations
from django_tenants.utils import get_public_schema_name

BEAT_TABLES = (
    "django_celery_beat_periodictask",
    "django_celery_beat_periodictasks",
    "django_celery_beat_crontabschedule",
    "django_celery_beat_intervalschedule",
    "django_celery_beat_solarschedule",
    "django_celery_beat_clockedschedule",
)


def drop_client_beat_tables(apps, schema_editor):
    connection = schema_editor.connection
    # Never the public schema's tables, the ones beat reads (annotations is not migrated there anyway).
    if connection.schema_name == get_public_schema_name():
        return
    # Qualified by the schema: the search path goes on to the public schema, whose tables a bare
    # name would find (and drop) once the client's are gone.
    schema = connection.ops.quote_name(connection.schema_name)
    tables = ", ".join(f"{schema}.{table}" for table in BEAT_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {tables} CASCADE")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial")]

    operations = [migrations.RunPython(drop_client_beat_tables, migrations.RunPython.noop, elidable=True)]
