"""``digest_send``: send an agency's digest now (every person of it, or one), and print what was sent."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.text import slugify

from alerts.digest import agency_people, agency_zones, digest_deliver, digest_for, digest_preview, week_of
from tenants.models import Agency


def agency_named(value: str) -> Agency:
    """An agency by id, by name (any case) or by its name's slug (``agence-test``)."""
    value = value.strip()
    if value.isdigit() and (agency := Agency.objects.filter(pk=int(value)).first()):
        return agency
    matches = [a for a in Agency.objects.all() if value.lower() in (a.name.lower(), slugify(a.name))]
    if len(matches) != 1:
        raise CommandError(f"No agency '{value}'." if not matches else f"Several agencies match '{value}'.")
    return matches[0]


class Command(BaseCommand):
    help = (
        "Send the agency digest of this week now: once per person and week (a second run sends nothing), "
        "nothing in a calm week unless the person asked for it; --force sends again, calm or not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="Agency id, name or slug of its name.")
        parser.add_argument("--user", help="Only this person (email); an owner or staff of the agency.")
        parser.add_argument("--force", action="store_true", help="Send even if sent this week or calm.")
        parser.add_argument("--preview", action="store_true", help="Print each mail instead: nothing sent or recorded.")

    def handle(self, *args, agency, user, force, preview, **options):
        agency = agency_named(agency)
        if agency.is_suspended:
            raise CommandError(f"Agency '{agency.name}' is suspended: no digest.")
        people = agency_people(agency)
        if user:
            people = people.filter(email=user.strip().lower())
            if not people.exists():
                raise CommandError(f"'{user}' is not an active owner or staff of '{agency.name}' getting the digest.")
        today = timezone.now().astimezone(agency_zones([agency])[agency.pk]).date()
        for person in people:
            if preview:
                self.stdout.write(f"--- {person.email}\n{digest_preview(digest_for(person, agency, today=today))}")
                continue
            outcome, digest = digest_deliver(person, agency, today=today, force=force)
            listed = f": {len(digest.clients)} client account(s) of {digest.total}" if digest is not None else ""
            names = ", ".join(item.client.name for item in digest.clients) if digest is not None else ""
            line = f"{person.email} · week of {week_of(today)} · {outcome}{listed}"
            self.stdout.write(f"{line} ({names})" if names else line)
