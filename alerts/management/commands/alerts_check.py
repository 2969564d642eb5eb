"""``alerts_check``: evaluate a client's alert rules now, in this process, and print what fired and
what recovered (their notices are queued for the worker, as after a refresh)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from alerts.evaluate import alerts_evaluate
from tenants.models import Client


class Command(BaseCommand):
    help = "Evaluate the alert rules of one client now (its own and its agency's defaults)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Client slug or schema name.")

    def handle(self, *args, tenant, **options):
        accounts = Client.objects.accounts()
        client = (accounts.filter(slug=tenant) | accounts.filter(schema_name=tenant)).first()
        if client is None:
            raise CommandError(f"No client account '{tenant}'.")
        with tenant_context(client):
            outcome = alerts_evaluate()
        for alert in outcome.fired:
            self.stdout.write(f"fired: {alert.kind} {alert.subject} {alert.period} (alert {alert.pk})")
        for alert in outcome.recovered:
            self.stdout.write(f"recovered: {alert.kind} {alert.subject} {alert.period} (alert {alert.pk})")
        for alert in outcome.closed:
            self.stdout.write(f"closed: {alert.kind} {alert.subject} {alert.period} (alert {alert.pk})")
        self.stdout.write(
            f"{client.slug}: {len(outcome.fired)} fired, {len(outcome.recovered)} recovered, "
            f"{len(outcome.closed)} closed, {len(outcome.deliveries)} notices queued"
        )
