"""Share links (dashboards.sharing): read-only links to a client's dashboard, one table per client schema.
Only the token's SHA-256 is stored; CHECK constraints keep fixed dates with fixed ranges only, in order,
and an expiry after the creation."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_branding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ShareLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "token_hash",
                    models.CharField(editable=False, max_length=64, unique=True, verbose_name="token (SHA-256)"),
                ),
                ("label", models.CharField(max_length=100, verbose_name="label")),
                (
                    "period",
                    models.CharField(
                        choices=[("week", "Week"), ("month", "Month"), ("quarter", "Quarter")],
                        max_length=10,
                        verbose_name="period",
                    ),
                ),
                (
                    "range",
                    models.CharField(
                        choices=[
                            ("last", "Last complete period"),
                            ("this", "Period to date"),
                            ("custom", "Fixed dates"),
                        ],
                        max_length=10,
                        verbose_name="range",
                    ),
                ),
                ("date_from", models.DateField(blank=True, null=True, verbose_name="from")),
                ("date_to", models.DateField(blank=True, null=True, verbose_name="to")),
                (
                    "password",
                    models.CharField(
                        blank=True, help_text="Empty: none.", max_length=128, verbose_name="password (hashed)"
                    ),
                ),
                ("expires_at", models.DateTimeField(verbose_name="expires")),
                ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                ("created_by_email", models.EmailField(blank=True, max_length=254, verbose_name="created by (email)")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
                ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="last used")),
                ("use_count", models.PositiveIntegerField(default=0, verbose_name="uses")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
            ],
            options={
                "verbose_name": "share link",
                "verbose_name_plural": "share links",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("date_from__isnull", False), ("date_to__isnull", False), ("range", "custom")),
                            models.Q(
                                models.Q(("range", "custom"), _negated=True),
                                ("date_from__isnull", True),
                                ("date_to__isnull", True),
                            ),
                            _connector="OR",
                        ),
                        name="share_link_fixed_dates_only_when_fixed",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("date_from__lte", models.F("date_to")), ("date_from__isnull", True), _connector="OR"
                        ),
                        name="share_link_dates_in_order",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("expires_at__gt", models.F("created_at"))),
                        name="share_link_expires_after_creation",
                    ),
                ],
            },
        ),
    ]
