"""Branding moves here from ``tenants`` (its state only): the table stays ``tenants_branding`` in the
public schema, created by tenants 0005, with its rows; tenants 0007 drops the model from its own state."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("tenants", "0006_throttle_cache"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Branding",
                    fields=[
                        (
                            "client",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="branding",
                                serialize=False,
                                to="tenants.client",
                                verbose_name="client account",
                            ),
                        ),
                        (
                            "color",
                            models.CharField(
                                blank=True,
                                help_text="A hex colour such as #0a7d5a; empty: Pouls' own.",
                                max_length=7,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb."
                                    )
                                ],
                                verbose_name="colour",
                            ),
                        ),
                        ("logo", models.BinaryField(blank=True, null=True, verbose_name="logo")),
                        ("logo_type", models.CharField(blank=True, max_length=20, verbose_name="logo type")),
                        (
                            "updated_at",
                            models.DateTimeField(default=django.utils.timezone.now, verbose_name="updated"),
                        ),
                    ],
                    options={
                        "verbose_name": "branding",
                        "verbose_name_plural": "brandings",
                        "db_table": "tenants_branding",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
