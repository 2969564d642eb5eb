from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Client
from tenants.services import agency_get_or_create, membership_grant, user_create_or_update


class Command(BaseCommand):
    help = (
        "Create a user (or update their password) and optionally give them a role: "
        "--agency NAME --role owner|staff, or --client SLUG --role manager|sales|viewer."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password", help="Omit to create a user who cannot log in yet.")
        parser.add_argument("--name", default="", help="Full name.")
        parser.add_argument("--language", default="", choices=["", "fr", "en"])
        parser.add_argument("--agency", help="Agency name (created when missing).")
        parser.add_argument("--client", help="Client account slug.")
        parser.add_argument("--role", choices=[*AGENCY_ROLES, *CLIENT_ROLES])

    def handle(self, *args, email, password, name, language, agency, client, role, **options):
        if (agency or client) and not role:
            raise CommandError("--role is required with --agency or --client.")
        if role and not (agency or client):
            raise CommandError("--role needs --agency or --client.")
        if agency and client:
            raise CommandError("Give either --agency or --client, not both.")
        try:
            client_obj = None
            if client:
                client_obj = Client.objects.accounts().filter(slug=client).first()
                if client_obj is None:
                    raise CommandError(f"No client account with slug '{client}'.")
            user, created = user_create_or_update(email=email, password=password, full_name=name, language=language)
            if role:
                agency_obj = agency_get_or_create(name=agency)[0] if agency else None
                membership_grant(user=user, role=role, agency=agency_obj, client=client_obj)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{'Created' if created else 'Updated'} user {user.email}."))
