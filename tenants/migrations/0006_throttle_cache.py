"""The table behind the ``throttle`` cache when no ``CACHE_URL`` is set (Django's DatabaseCache, the
layout ``createcachetable`` makes), in the public schema only: throttles count across processes with
nothing more than PostgreSQL. ``IF NOT EXISTS``: the test runner's ``createcachetable`` may come first."""

from django.db import migrations

TABLE = "pouls_throttle_cache"


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_branding")]

    operations = [
        migrations.RunSQL(
            sql=[
                f"CREATE TABLE IF NOT EXISTS {TABLE} (cache_key varchar(255) NOT NULL PRIMARY KEY, "
                "value text NOT NULL, expires timestamp with time zone NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS {TABLE}_expires ON {TABLE} (expires)",
            ],
            reverse_sql=[f"DROP TABLE IF EXISTS {TABLE}"],
        )
    ]
