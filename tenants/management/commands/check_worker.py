import json

from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from tenants.models import Client
from tenants.tasks import worker_ping


class Command(BaseCommand):
    help = "Send a ping task inside a client's schema and print the worker's answer (exit 1 on timeout)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Client slug.")
        parser.add_argument("--timeout", type=float, default=15.0)

    def handle(self, *args, tenant, timeout, **options):
        client = Client.objects.accounts().filter(slug=tenant).first()
        if client is None:
            raise CommandError(f"No client account with slug '{tenant}'.")
        with tenant_context(client):
            result = worker_ping.delay()
        try:
            answer = result.get(timeout=timeout)
        except CeleryTimeout as exc:
            raise CommandError(f"No worker answered within {timeout:g} s.") from exc
        self.stdout.write(json.dumps(answer))
