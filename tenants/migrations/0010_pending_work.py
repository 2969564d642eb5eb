"""Pending work marks (tenants.PendingWork) and the fan-out's last ticks (tenants.FanoutTick).

A new client account has pending work at once (its first KPI refresh, which is a full one): a row
trigger on tenants_client marks it. Every client account existing at this migration is marked
too, so the first cycle after the deploy refreshes each once, as every cycle did before.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

FORWARD = [
    """
CREATE OR REPLACE FUNCTION tenants_client_created_marks() RETURNS trigger AS $fn$
BEGIN
    IF NEW.schema_name <> 'public' THEN
        INSERT INTO tenants_pendingwork (client_id, kind, marked_at) VALUES (NEW.id, 'kpis', now())
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$fn$ LANGUAGE plpgsql""",
    "CREATE TRIGGER tenants_client_created_marks AFTER INSERT ON tenants_client FOR EACH ROW "
    "EXECUTE FUNCTION tenants_client_created_marks()",
    "INSERT INTO tenants_pendingwork (client_id, kind, marked_at) "
    "SELECT id, 'kpis', now() FROM tenants_client WHERE schema_name <> 'public' ON CONFLICT DO NOTHING",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS tenants_client_created_marks ON tenants_client",
    "DROP FUNCTION IF EXISTS tenants_client_created_marks()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0009_agency_headline_kpis"),
    ]

    operations = [
        migrations.CreateModel(
            name="FanoutTick",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="name")),
                ("at", models.DateTimeField(verbose_name="at")),
            ],
            options={
                "verbose_name": "fan-out tick",
                "verbose_name_plural": "fan-out ticks",
            },
        ),
        migrations.CreateModel(
            name="PendingWork",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("kpis", "KPI refresh"),
                            ("tracking", "Tracking rollup"),
                            ("rate_windows", "Rate windows purge"),
                        ],
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                (
                    "marked_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        default=django.utils.timezone.now,
                        verbose_name="marked",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.client",
                        verbose_name="client account",
                    ),
                ),
            ],
            options={
                "verbose_name": "pending work",
                "verbose_name_plural": "pending work",
                "constraints": [
                    models.UniqueConstraint(fields=("client", "kind"), name="pendingwork_unique_client_kind")
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
