"""Platform connections of agencies and the sources feeding each client (docs/connectors.md)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenants", "0009_agency_headline_kpis"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Connection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "provider",
                    models.CharField(
                        choices=[("google", "Google"), ("meta", "Meta")], max_length=16, verbose_name="platform"
                    ),
                ),
                ("account_label", models.CharField(blank=True, max_length=300, verbose_name="account")),
                ("access_token", models.TextField(blank=True, verbose_name="access token (encrypted)")),
                ("refresh_token", models.TextField(blank=True, verbose_name="refresh token (encrypted)")),
                ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="access token expires")),
                ("scopes", models.TextField(blank=True, verbose_name="scopes granted")),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "Connected"), ("broken", "Broken")],
                        default="active",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("broken_reason", models.CharField(blank=True, max_length=500, verbose_name="why it broke")),
                ("connected_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="connected")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="connections",
                        to="tenants.agency",
                        verbose_name="agency",
                    ),
                ),
                (
                    "connected_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="connected by",
                    ),
                ),
            ],
            options={
                "verbose_name": "platform connection",
                "verbose_name_plural": "platform connections",
                "ordering": ["agency_id", "provider"],
            },
        ),
        migrations.CreateModel(
            name="Source",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("ga4", "Google Analytics 4"),
                            ("search_console", "Google Search Console"),
                            ("google_ads", "Google Ads"),
                            ("meta_ads", "Meta Ads"),
                        ],
                        max_length=16,
                        verbose_name="platform",
                    ),
                ),
                ("external_id", models.CharField(max_length=200, verbose_name="account id")),
                ("external_name", models.CharField(blank=True, max_length=300, verbose_name="account name")),
                ("login_customer_id", models.CharField(blank=True, max_length=10, verbose_name="manager account id")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Backfill pending"),
                            ("ok", "Syncing"),
                            ("failing", "Failing"),
                            ("broken", "Broken"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("last_run_at", models.DateTimeField(blank=True, null=True, verbose_name="last run")),
                ("last_success_at", models.DateTimeField(blank=True, null=True, verbose_name="last success")),
                (
                    "last_rows_written",
                    models.PositiveIntegerField(default=0, verbose_name="rows written by the last success"),
                ),
                ("last_error", models.CharField(blank=True, max_length=1000, verbose_name="last error")),
                ("next_run_at", models.DateTimeField(blank=True, null=True, verbose_name="next run")),
                ("first_day", models.DateField(blank=True, null=True, verbose_name="first day read")),
                ("last_day", models.DateField(blank=True, null=True, verbose_name="last day read")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="chosen")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sources",
                        to="tenants.client",
                        verbose_name="client account",
                    ),
                ),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sources",
                        to="connectors.connection",
                        verbose_name="connection",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="chosen by",
                    ),
                ),
            ],
            options={
                "verbose_name": "data source",
                "verbose_name_plural": "data sources",
                "ordering": ["client_id", "kind"],
            },
        ),
        migrations.AddConstraint(
            model_name="connection",
            constraint=models.UniqueConstraint(
                fields=("agency", "provider"), name="connection_one_per_agency_provider"
            ),
        ),
        migrations.AddIndex(
            model_name="source",
            index=models.Index(
                condition=models.Q(("status", "broken"), _negated=True), fields=["next_run_at"], name="source_due"
            ),
        ),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.UniqueConstraint(fields=("client", "kind"), name="source_one_per_client_kind"),
        ),
    ]
