"""``manage.py connectors_rotate_key``: re-encrypt every connection's tokens under the first key of
POULS_ENCRYPTION_KEY (docs/connectors.md, "Rotating the key")."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from config.crypto import rotated
from connectors.models import Connection


class Command(BaseCommand):
    help = (
        "Re-encrypt every platform connection's tokens under the first key of POULS_ENCRYPTION_KEY. "
        "To rotate: put the new key first (NEW,OLD), restart, run this command, then drop the old key "
        "(NEW) and restart again. Tokens that no configured key opens make it fail without changing anything."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():  # all or nothing: never half the rows under a key about to be dropped
            for connection in Connection.objects.select_for_update().order_by("pk"):
                connection.access_token = rotated(connection.access_token)
                connection.refresh_token = rotated(connection.refresh_token)
                connection.save(update_fields=["access_token", "refresh_token"])
                count += 1
        self.stdout.write(f"{count} connection(s) re-encrypted under the first key.")
