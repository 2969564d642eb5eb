"""Facts record their source (connectors write spend and keywords beside imports), what a connector covers,
and which Pouls campaign each platform campaign counts in (docs/connectors.md)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_metricvalue_date"),
    ]

    operations = [
        migrations.CreateModel(
            name="FactCoverage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("import", "Import"),
                            ("tracking", "Tracking"),
                            ("ga4", "Google Analytics 4"),
                            ("search_console", "Google Search Console"),
                            ("google_ads", "Google Ads"),
                            ("meta_ads", "Meta Ads"),
                        ],
                        max_length=16,
                        verbose_name="source",
                    ),
                ),
                (
                    "fact",
                    models.CharField(
                        choices=[("traffic", "Traffic"), ("keyword", "Keywords"), ("spend", "Spend")],
                        max_length=16,
                        verbose_name="fact",
                    ),
                ),
                ("first_day", models.DateField(verbose_name="first day")),
                ("last_day", models.DateField(verbose_name="last day")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
            ],
            options={
                "verbose_name": "connector coverage",
                "verbose_name_plural": "connector coverage",
            },
        ),
        migrations.CreateModel(
            name="PlatformCampaign",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("import", "Import"),
                            ("tracking", "Tracking"),
                            ("ga4", "Google Analytics 4"),
                            ("search_console", "Google Search Console"),
                            ("google_ads", "Google Ads"),
                            ("meta_ads", "Meta Ads"),
                        ],
                        max_length=16,
                        verbose_name="source",
                    ),
                ),
                ("external_id", models.CharField(max_length=64, verbose_name="platform id")),
                ("name", models.CharField(max_length=400, verbose_name="name on the platform")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
            ],
            options={
                "verbose_name": "platform campaign",
                "verbose_name_plural": "platform campaigns",
                "ordering": ["source", "name"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="keywordstat",
            name="keywordstat_unique_day_keyword",
        ),
        migrations.RemoveConstraint(
            model_name="spend",
            name="spend_unique_day_campaign",
        ),
        migrations.AddField(
            model_name="keywordstat",
            name="source",
            field=models.CharField(
                choices=[
                    ("import", "Import"),
                    ("tracking", "Tracking"),
                    ("ga4", "Google Analytics 4"),
                    ("search_console", "Google Search Console"),
                    ("google_ads", "Google Ads"),
                    ("meta_ads", "Meta Ads"),
                ],
                db_default="import",
                default="import",
                max_length=16,
                verbose_name="source",
            ),
        ),
        migrations.AddField(
            model_name="spend",
            name="clicks",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="clicks"),
        ),
        migrations.AddField(
            model_name="spend",
            name="impressions",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="impressions"),
        ),
        migrations.AddField(
            model_name="spend",
            name="source",
            field=models.CharField(
                choices=[
                    ("import", "Import"),
                    ("tracking", "Tracking"),
                    ("ga4", "Google Analytics 4"),
                    ("search_console", "Google Search Console"),
                    ("google_ads", "Google Ads"),
                    ("meta_ads", "Meta Ads"),
                ],
                db_default="import",
                default="import",
                max_length=16,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="ctastat",
            name="source",
            field=models.CharField(
                choices=[
                    ("import", "Import"),
                    ("tracking", "Tracking"),
                    ("ga4", "Google Analytics 4"),
                    ("search_console", "Google Search Console"),
                    ("google_ads", "Google Ads"),
                    ("meta_ads", "Meta Ads"),
                ],
                default="import",
                max_length=16,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="traffic",
            name="source",
            field=models.CharField(
                choices=[
                    ("import", "Import"),
                    ("tracking", "Tracking"),
                    ("ga4", "Google Analytics 4"),
                    ("search_console", "Google Search Console"),
                    ("google_ads", "Google Ads"),
                    ("meta_ads", "Meta Ads"),
                ],
                default="import",
                max_length=16,
                verbose_name="source",
            ),
        ),
        migrations.AddConstraint(
            model_name="keywordstat",
            constraint=models.UniqueConstraint(
                fields=("date", "keyword", "channel", "source"), name="keywordstat_unique_day_keyword_source"
            ),
        ),
        migrations.AddConstraint(
            model_name="spend",
            constraint=models.UniqueConstraint(
                fields=("date", "campaign", "source"), name="spend_unique_day_campaign_source"
            ),
        ),
        migrations.AddConstraint(
            model_name="factcoverage",
            constraint=models.UniqueConstraint(fields=("source", "fact"), name="factcoverage_one_per_source_fact"),
        ),
        migrations.AddConstraint(
            model_name="factcoverage",
            constraint=models.CheckConstraint(
                condition=models.Q(("first_day__lte", models.F("last_day"))), name="factcoverage_days_ordered"
            ),
        ),
        migrations.AddField(
            model_name="platformcampaign",
            name="campaign",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="platform_campaigns",
                to="campaigns.campaign",
                verbose_name="campaign",
            ),
        ),
        migrations.AddConstraint(
            model_name="platformcampaign",
            constraint=models.UniqueConstraint(
                fields=("source", "external_id"), name="platformcampaign_unique_external"
            ),
        ),
    ]
