"""The demo agency, its three client accounts and their people (``manage.py demo_seed``), then each
client's data from the apps' own demo seeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.demo import demo_marketing_seed, demo_metrics_seed, plan_anchor
from demo.notes import demo_notes_seed
from demo.notices import demo_notices_seed
from kpis.demo import demo_custom_kpis_seed, demo_objectives_seed
from kpis.refresh import kpi_snapshot_refresh
from leads.demo import demo_leads_seed
from leads.selectors import lead_owners
from tenants.models import Client, User
from tenants.services import agency_get_or_create, client_create, membership_grant, user_create_or_update

DEMO_AGENCY = "Agence Démo"
# A demo credential printed by `make demo` on purpose; never a real account.
DEMO_PASSWORD = "pouls-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoClient:
    slug: str
    name: str
    profile: str  # what its marketing looks like; later seeds shape its data on it


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    scope: str  # the agency name or a client slug
    full_name: str


DEMO_CLIENTS = (
    DemoClient("maison-lumiere", "Maison Lumière", "strong on paid search"),
    DemoClient("atelier-sillon", "Atelier Sillon", "strong on SEO and email"),
    DemoClient("velo-nord", "Vélo Nord", "struggling"),
)

DEMO_LOGINS = (
    DemoLogin("direction@agence-demo.fr", "owner", DEMO_AGENCY, "Claire Martin"),
    DemoLogin("consultant@agence-demo.fr", "staff", DEMO_AGENCY, "Hugo Bernard"),
    DemoLogin("marketing@maison-lumiere.fr", "manager", "maison-lumiere", "Inès Lefèvre"),
    DemoLogin("commercial@maison-lumiere.fr", "sales", "maison-lumiere", "Louis Moreau"),
    DemoLogin("lecture@maison-lumiere.fr", "viewer", "maison-lumiere", "Sophie Laurent"),
    DemoLogin("lecture@atelier-sillon.fr", "viewer", "atelier-sillon", "Paul Girard"),
    DemoLogin("lecture@velo-nord.fr", "viewer", "velo-nord", "Emma Roux"),
)


@transaction.atomic
def demo_accounts_seed(*, now: datetime | None = None, months: int = 13) -> list[Client]:
    """Create (or bring back to their demo state) the agency, its clients and the demo logins, and
    seed each client's data: ``months`` calendar months up to ``now`` (default: the moment it runs).

    Safe to re-run: clients are kept with their data, which catches up to ``now`` (the facts, leads
    and stage moves since the last seed, on the same plan; nothing twice), passwords and roles are
    reset. A re-run takes the same ``months`` as the first seed: the plan's months are derived from
    the first fact's month and ``months``.
    """
    agency, _ = agency_get_or_create(name=DEMO_AGENCY, default_language="fr")
    clients = {}
    for demo in DEMO_CLIENTS:
        clients[demo.slug], _ = client_create(slug=demo.slug, name=demo.name, agency=agency)
    for login in DEMO_LOGINS:
        user, _ = user_create_or_update(email=login.email, password=DEMO_PASSWORD, full_name=login.full_name)
        if login.scope == DEMO_AGENCY:
            membership_grant(user=user, agency=agency, role=login.role)
        else:
            membership_grant(user=user, client=clients[login.scope], role=login.role)
    _seed_client_data(clients, now=now or timezone.now(), months=months)
    return list(clients.values())


def demo_client_seed(*, client: Client, profile: str, now: datetime, months: int = 13) -> None:
    """One client's own data shaped on the demo ``profile`` (a demo slug), in its schema, up to
    ``now`` (a client seeded before catches up), today's tracking events rolled up, its imported
    metrics, the objectives, custom KPIs and notes its people set up (once), then its snapshots as
    of ``now``."""
    owners = list(lead_owners(client).order_by("email"))
    author = _note_author(profile)
    with tenant_context(client):
        demo_leads_seed(slug=profile, owners=owners, time_zone=client.time_zone, months=months, now=now)
        demo_marketing_seed(slug=profile, time_zone=client.time_zone, months=months, now=now)
        demo_metrics_seed(slug=profile, time_zone=client.time_zone, months=months, now=now)
        demo_objectives_seed(slug=profile)
        demo_custom_kpis_seed(slug=profile)
        demo_notices_seed(slug=profile, name=client.name, viewer_email=_viewer_email(profile), author=author)
        if (anchor := plan_anchor(months)) is not None:
            today = now.astimezone(ZoneInfo(client.time_zone)).date()
            demo_notes_seed(slug=profile, author=author, today=today, anchor=anchor, months=months)
        kpi_snapshot_refresh(as_of=now)  # the first one is full; a re-run only catches up


def _viewer_email(slug: str) -> str | None:
    """The client's read-only login, who receives its reports."""
    return next((login.email for login in DEMO_LOGINS if login.role == "viewer" and login.scope == slug), None)


def _note_author(slug: str) -> User | None:
    """Who wrote a client's notes: its manager among the demo logins, else the agency's consultant."""
    logins = [login for login in DEMO_LOGINS if login.role == "manager" and login.scope == slug]
    logins += [login for login in DEMO_LOGINS if login.role == "staff" and login.scope == DEMO_AGENCY]
    return User.objects.filter(email=logins[0].email).first() if logins else None


def _seed_client_data(clients: dict[str, Client], *, now: datetime, months: int) -> None:
    for slug, client in clients.items():
        demo_client_seed(client=client, profile=slug, now=now, months=months)
