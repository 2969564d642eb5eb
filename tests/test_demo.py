"""`make demo`'s data: the demo agency sees its three clients, each client's viewer only its own."""

from demo.seed import DEMO_CLIENTS, DEMO_PASSWORD, demo_accounts_seed
from tenants.access import clients_visible_to
from tenants.models import Agency, Client, Membership, User

DEMO_SLUGS = [c.slug for c in DEMO_CLIENTS]


def test_the_demo_seed_is_repeatable(db):
    demo_accounts_seed()
    counts = (Agency.objects.count(), Client.objects.count(), User.objects.count(), Membership.objects.count())
    # when seeded again
    demo_accounts_seed()
    # then nothing was duplicated
    assert (Agency.objects.count(), Client.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert User.objects.get(email="direction@agence-demo.fr").check_password(DEMO_PASSWORD)


def test_the_demo_agency_sees_its_three_clients_and_a_viewer_only_its_own(db, http_as):
    demo_accounts_seed()
    owner = User.objects.get(email="direction@agence-demo.fr")
    viewer = User.objects.get(email="lecture@velo-nord.fr")
    assert {a.client.slug for a in clients_visible_to(owner)} == set(DEMO_SLUGS)
    assert [a.client.slug for a in clients_visible_to(viewer)] == ["velo-nord"]
    page = http_as(owner).get("/").content.decode()  # the agency portfolio
    assert all(f'data-client="{slug}"' in page for slug in DEMO_SLUGS)
    as_viewer = http_as(viewer)
    assert as_viewer.get("/")["Location"] == "/c/velo-nord/"
    assert as_viewer.get("/c/velo-nord/").status_code == 200
    assert as_viewer.get("/c/maison-lumiere/").status_code == 404


def test_the_demo_clients_have_kpis_objectives_and_a_portfolio(db, http_as):
    from django_tenants.utils import tenant_context

    from kpis.models import Objective, Snapshot

    demo_accounts_seed()
    for client in Client.objects.filter(slug__in=DEMO_SLUGS):
        with tenant_context(client):
            months = Snapshot.objects.filter(period="month", kpi="leads", dimension="").count()
            assert months >= 12, client.slug  # twelve months of data, refreshed by the seed
            assert Objective.objects.filter(period="week").count() == 2
            assert Snapshot.objects.filter(target__isnull=False, status__isnull=False).exists()
    owner = User.objects.get(email="direction@agence-demo.fr")
    portfolio = http_as(owner).get("/api/v1/portfolio/").json()["results"]
    assert {row["slug"] for row in portfolio} == set(DEMO_SLUGS)
    assert all(len(row["kpis"]["leads"]["months"]) == 13 and row["as_of"] for row in portfolio)


def test_the_demo_clients_have_report_schedules_and_alert_rules_once(db):
    from django_tenants.utils import tenant_context

    from alerts.models import AlertRule
    from reports.models import ReportDelivery, ReportSchedule

    demo_accounts_seed()
    demo_accounts_seed()  # a re-seed adds nothing
    for client in Client.objects.filter(slug__in=DEMO_SLUGS):
        with tenant_context(client):
            schedules = list(ReportSchedule.objects.order_by("frequency"))
            assert [s.frequency for s in schedules] == ["monthly", "weekly"], client.slug
            assert all(f"direction@{client.slug}.example" in s.recipients for s in schedules)
            gated = [s.requires_approval for s in schedules]
            assert gated == ([True, False] if client.slug == "velo-nord" else [False, False])
            assert sorted(AlertRule.objects.values_list("kind", flat=True)) == ["anomaly", "stale", "status_red"]
            drafts = list(ReportDelivery.objects.values_list("schedule__requires_approval", "status", "approved_at"))
            assert drafts == ([(True, "queued", None)] if client.slug == "velo-nord" else []), client.slug
