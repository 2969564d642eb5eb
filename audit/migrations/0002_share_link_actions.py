"""Three actions for share links (dashboards.sharing): created, revoked, opened. Choices only: no SQL."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("client_created", "Client account created"),
                    ("client_updated", "Client account changed"),
                    ("client_archived", "Client account archived"),
                    ("client_restored", "Client account restored"),
                    ("invitation_sent", "Invitation sent"),
                    ("invitation_resent", "Invitation sent again"),
                    ("invitation_accepted", "Invitation accepted"),
                    ("invitation_revoked", "Invitation revoked"),
                    ("role_changed", "Role changed"),
                    ("member_removed", "Member removed"),
                    ("lead_exported", "Lead exported"),
                    ("lead_erased", "Lead erased"),
                    ("token_created", "API token created"),
                    ("token_revoked", "API token revoked"),
                    ("agency_signed_up", "Agency signed up"),
                    ("agency_suspended", "Agency suspended"),
                    ("agency_reinstated", "Agency reinstated"),
                    ("share_link_created", "Share link created"),
                    ("share_link_revoked", "Share link revoked"),
                    ("share_link_opened", "Share link opened"),
                ],
                max_length=32,
                verbose_name="action",
            ),
        ),
    ]
