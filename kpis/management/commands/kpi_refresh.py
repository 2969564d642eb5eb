"""``kpi_refresh``: bring a client's KPI snapshots up to date now, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from kpis.refresh import kpi_snapshot_refresh
from tenants.models import Client


class Command(BaseCommand):
    help = "Refresh the KPI snapshots of one client (or --all): what changed since the last run, or --full."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--tenant", help="Client slug or schema name.")
        target.add_argument("--all", action="store_true", help="Every active client account.")
        parser.add_argument("--full", action="store_true", help="Recompute everything (as the nightly run does).")

    def handle(self, *args, tenant, all, full, **options):
        clients = (
            Client.objects.accounts().filter(is_active=True)
            if all
            else (Client.objects.accounts().filter(slug=tenant) | Client.objects.accounts().filter(schema_name=tenant))
        )
        if not clients.exists():
            raise CommandError(f"No client account '{tenant}'.")
        for client in clients:
            with tenant_context(client):
                result = kpi_snapshot_refresh(full=full)
            if result.busy:
                self.stderr.write(f"{client.slug}: another refresh is running; try again in a moment.")
                continue
            self.stdout.write(
                f"{client.slug}: {result.mode} refresh in {result.duration_ms / 1000:.1f} s — "
                f"{result.dirty_days} dirty days, {result.measures_changed} measures and "
                f"{result.snapshots_changed} snapshots changed, {result.anomalies_flagged} anomalies flagged"
            )
