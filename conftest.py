"""Suite-wide fixtures. Client schemas are created once per session (cloned from the template that
``migrate`` builds) and shared by every test; each test runs in a transaction rolled back at its
end, so tests never re-create schemas."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from tenants.models import Agency, Client, User
from tenants.services import agency_get_or_create, client_create, membership_grant, user_create_or_update

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    agency: Agency
    other_agency: Agency
    alpha: Client  # of `agency`
    beta: Client  # of `agency`
    gamma: Client  # of `other_agency`
    owner: User  # agency owner: alpha and beta
    staff: User  # agency staff: alpha and beta
    manager_alpha: User
    sales_alpha: User
    viewer_alpha: User
    viewer_beta: User
    other_owner: User  # owner of other_agency: gamma only
    outsider: User  # no membership at all


def _user(email: str, **grant) -> User:
    user, _ = user_create_or_update(email=email, password=PASSWORD)
    if grant:
        membership_grant(user=user, **grant)
    return user


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's setup, except that the test database is always created: its own version
    creates it only when a selected test asks for `db`, and fixtures such as `world` or `committed`
    would otherwise write to the database DATABASE_URL names."""
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0, interactive=False, keepdb=keepdb, aliases={"default"}, serialized_aliases=set()
        )
    assert connection.settings_dict["NAME"].startswith("test_"), "refusing to run tests on a real database"
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0)


@pytest.fixture
def record_sends(monkeypatch):
    """``record_sends(*tasks)``: what those tasks are sent, recorded rather than published, as (task name,
    schema sent from, arguments) in the list it returns (the broker aside; the database is real)."""

    def record(*tasks) -> list[tuple[str, str, list]]:
        sends: list[tuple[str, str, list]] = []
        for task in tasks:
            monkeypatch.setattr(
                task,
                "apply_async",
                lambda *, args=(), _name=task.name, **_: sends.append((_name, connection.schema_name, list(args))),
            )
        return sends

    return record


@pytest.fixture(scope="session")
def world(django_db_setup, django_db_blocker) -> World:
    with django_db_blocker.unblock():
        agency, _ = agency_get_or_create(name="Agence Test", default_language="fr")
        other_agency, _ = agency_get_or_create(name="Other Agency", default_language="en")
        alpha, _ = client_create(slug="alpha", name="Alpha SAS", agency=agency)
        beta, _ = client_create(slug="beta", name="Beta SARL", agency=agency, time_zone="America/Montreal")
        gamma, _ = client_create(slug="gamma", name="Gamma Ltd", agency=other_agency, currency="GBP")
        world = World(
            agency=agency,
            other_agency=other_agency,
            alpha=alpha,
            beta=beta,
            gamma=gamma,
            owner=_user("owner@agence.test", agency=agency, role="owner"),
            staff=_user("staff@agence.test", agency=agency, role="staff"),
            manager_alpha=_user("manager@alpha.test", client=alpha, role="manager"),
            sales_alpha=_user("sales@alpha.test", client=alpha, role="sales"),
            viewer_alpha=_user("viewer@alpha.test", client=alpha, role="viewer"),
            viewer_beta=_user("viewer@beta.test", client=beta, role="viewer"),
            other_owner=_user("owner@other.test", agency=other_agency, role="owner"),
            outsider=_user("nobody@elsewhere.test"),
        )
    return world


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    """Requests and tenant_context switch the shared connection's schema; start each test clean."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def in_client(world):
    """``in_client(client)``: from here to the end of the test, the test's own queries (models,
    services, factories) run in ``client``'s schema — instead of a ``with tenant_context(client):``
    around every step. Returns ``client``.

    A request through the test client sets the schema of the client its URL names; once it is
    answered, the test's schema is put back, so a test may call any URL between its queries. Tests
    whose point is to compare two clients keep explicit ``tenant_context`` blocks. No ``db`` here:
    it also serves tests on ``committed`` data."""
    owner = threading.get_ident()
    paused = []  # the test's schema while a request runs (a stack: redirects follow one another)

    def pause(**_):
        if threading.get_ident() == owner:  # requests made by the test's threads only
            paused.append(connection.tenant)

    def resume(**_):
        if threading.get_ident() == owner and paused:
            connection.set_tenant(paused.pop())

    def enter(client: Client) -> Client:
        connection.set_tenant(client)
        return client

    request_started.connect(pause, weak=False)
    request_finished.connect(resume, weak=False)
    yield enter
    request_started.disconnect(pause)
    request_finished.disconnect(resume)
    connection.set_schema_to_public()


@pytest.fixture
def in_alpha(db, world, in_client) -> Client:
    """The test runs in alpha's schema (``in_client``); the fixture is alpha."""
    return in_client(world.alpha)


@pytest.fixture
def http_as(db, world):
    """``http_as(user)``: a Django test client logged in as ``user`` (None: anonymous)."""

    def make(user: User | None) -> HttpClient:
        client = HttpClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def committed(world, django_db_blocker):
    """Database access without the per-test transaction, for tests where several threads or
    processes must see each other's commits. CRM and KPI rows of the test clients are removed afterwards."""
    from django_tenants.utils import tenant_context

    from campaigns.models import RateWindow
    from kpis.models import DirtyDay, Measure, Objective, RefreshRun, Snapshot
    from leads.models import CaptureForm, ErasedEmail, Lead, LeadSettings, ScoringRule
    from portfolio.models import Headline, Pulse

    with django_db_blocker.unblock():
        yield world
        for client in (world.alpha, world.beta, world.gamma):
            with tenant_context(client):
                for model in (
                    Lead,
                    CaptureForm,
                    RateWindow,
                    ErasedEmail,
                    ScoringRule,
                    LeadSettings,
                    Snapshot,
                    Measure,
                    Objective,
                    RefreshRun,
                    DirtyDay,
                ):
                    model.objects.all().delete()
        connection.set_schema_to_public()
        Headline.objects.all().delete()
        Pulse.objects.all().delete()


GOLDEN_AS_OF = datetime(2026, 4, 15, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def golden(db, world) -> World:
    """The golden KPI example imported into alpha and refreshed in full as of 15 April 2026. The
    connection is left in the schema it was in (with ``in_alpha``, alpha's)."""
    from django_tenants.utils import tenant_context

    from kpis.refresh import kpi_snapshot_refresh
    from tests.test_golden_kpis import import_golden

    schema = connection.tenant
    import_golden()  # each import enters alpha, then leaves to the public schema
    with tenant_context(world.alpha):
        kpi_snapshot_refresh(full=True, as_of=GOLDEN_AS_OF)
    if schema is not None:
        connection.set_tenant(schema)
    return world


@pytest.fixture
def anonymous(http_as):
    """A visitor who is not logged in."""
    return http_as(None)


@pytest.fixture(scope="module")
def pouls(django_db_setup, tmp_path_factory) -> str:
    """Pouls served by gunicorn on the test database (for browser tests), for one test module."""
    from tests.processes import free_port, start_web, stop

    port = free_port()
    process = start_web(port, tmp_path_factory.mktemp("web") / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop(process)


def pytest_configure(config):
    # `-m fuzz` selects the property-based API test (tests/test_api_fuzz.py); it also runs in the whole suite.
    config.addinivalue_line("markers", "fuzz: schemathesis fuzzes the API from its OpenAPI document")


@pytest.fixture
def early_in_a_minute():
    """Rate windows are calendar minutes: a counting test runs on a clock that still ticks but starts
    at second 1 of the current minute, so it cannot straddle two (a fake clock, not a sleep)."""
    with time_machine.travel(timezone.now().replace(second=1, microsecond=0), tick=True):
        yield
