# The rate windows of the capture and tracking endpoints move from leads to campaigns (the lower layer that
# tracking belongs to). Only Django's state moves: the table keeps its name (db_table) and its rows.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0008_importjob_sent_at"),
        ("leads", "0004_lead_created_cohort_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateWindow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("form_key", models.CharField(max_length=100)),
                        ("visitor", models.CharField(max_length=64)),
                        ("window_start", models.DateTimeField(db_index=True)),
                        ("count", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "leads_captureratewindow",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("form_key", "visitor", "window_start"), name="capture_rate_window_unique"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
