from django.core.management.base import BaseCommand

from demo.seed import DEMO_AGENCY, DEMO_LOGINS, DEMO_PASSWORD, demo_accounts_seed


class Command(BaseCommand):
    help = "Create or refresh the demo agency, its three client accounts and their logins."

    def handle(self, *args, **options):
        clients = demo_accounts_seed()
        self.stdout.write(self.style.SUCCESS(f"{DEMO_AGENCY}: {', '.join(c.name for c in clients)}"))
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.email:32} {login.role:8} {login.scope}")
        self.stdout.write(f"  password for all: {DEMO_PASSWORD}")
