from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from tenants.services import agency_get_or_create, client_create


class Command(BaseCommand):
    help = "Create a client account (its own schema, cloned from the template). Idempotent on SLUG."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--agency", help="Agency name (created when missing).")
        parser.add_argument("--timezone", default="Europe/Paris", help="IANA time zone (default Europe/Paris).")
        parser.add_argument("--currency", default="EUR", help="ISO 4217 code (default EUR).")

    def handle(self, *args, slug, name, agency, timezone, currency, **options):
        try:
            agency_obj = agency_get_or_create(name=agency)[0] if agency else None
            client, created = client_create(
                slug=slug, name=name, agency=agency_obj, time_zone=timezone, currency=currency
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created client {client.slug} (schema {client.schema_name})."))
        else:
            self.stdout.write(f"Client {client.slug} already exists; nothing changed.")
