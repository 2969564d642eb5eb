from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django_tenants.utils import schema_exists

from tenants.access import client_access_for
from tenants.models import Agency, Client, Role, User


def run(*args) -> str:
    # Commands speak the project's default language (French); these tests read them in English.
    out = StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out)
    return out.getvalue()


def test_create_client_creates_once_and_then_changes_nothing(db):
    first = run("create_client", "acme", "--name", "Acme", "--agency", "New Agency", "--timezone", "Europe/Brussels")
    assert "Created client acme" in first
    client = Client.objects.get(slug="acme")
    assert (client.time_zone, client.agency.name, schema_exists("c_acme")) == ("Europe/Brussels", "New Agency", True)
    again = run("create_client", "acme", "--name", "Other name", "--currency", "USD")
    assert "already exists" in again
    client.refresh_from_db()
    assert (client.name, client.currency) == ("Acme", "EUR")


def test_create_client_reports_bad_input_as_a_command_error(db):
    with pytest.raises(CommandError, match="time zone"):
        run("create_client", "acme", "--name", "Acme", "--timezone", "Paris")
    assert not Client.objects.filter(slug="acme").exists()


def test_create_user_with_an_agency_role(db, world):
    run(
        "create_user",
        "new.owner@agency.test",
        "--password",
        "a-good-long-password",
        "--agency",
        "Agence Test",
        "--role",
        "owner",
    )
    user = User.objects.get(email="new.owner@agency.test")
    assert user.check_password("a-good-long-password")
    assert client_access_for(user, world.alpha).role == Role.OWNER
    assert Agency.objects.filter(name="Agence Test").count() == 1


def test_create_user_with_a_client_role_and_a_rerun(db, world):
    run(
        "create_user",
        "reader@alpha.test",
        "--password",
        "a-good-long-password",
        "--client",
        "alpha",
        "--role",
        "viewer",
    )
    run(
        "create_user",
        "reader@alpha.test",
        "--password",
        "another-long-password",
        "--client",
        "alpha",
        "--role",
        "sales",
    )
    user = User.objects.get(email="reader@alpha.test")
    assert user.check_password("another-long-password")
    assert client_access_for(user, world.alpha).role == Role.SALES
    assert client_access_for(user, world.beta) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client", "alpha"], "--role is required"),
        (["--role", "viewer"], "needs --agency or --client"),
        (["--client", "nope", "--role", "viewer"], "No client account"),
        (["--client", "alpha", "--role", "owner"], "client role"),
        (["--agency", "Agence Test", "--role", "viewer"], "agency role"),
    ],
)
def test_create_user_refuses_inconsistent_roles(db, world, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_user", "someone@example.test", "--password", "a-good-long-password", *args)
