import pytest
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from campaigns.channels import BUILTIN_CHANNELS
from campaigns.models import Channel
from config.errors import DomainError
from tenants.models import Client, Domain, Membership, Role
from tenants.services import client_create, membership_grant, user_create_or_update


def test_client_create_clones_the_template_with_its_builtin_channels(db, world):
    # given a fresh slug
    # when
    client, created = client_create(slug="fresh-one", name="Fresh One", agency=world.agency)
    # then the client has its own schema, a route and the GA4 channels of the template
    assert created is True
    assert client.schema_name == "c_fresh_one"
    assert schema_exists("c_fresh_one")
    assert Domain.objects.get(tenant=client).domain == "fresh-one"
    assert (client.time_zone, client.currency) == ("Europe/Paris", "EUR")
    with tenant_context(client):
        assert set(Channel.objects.values_list("key", flat=True)) == set(BUILTIN_CHANNELS)
        assert Channel.objects.filter(is_paid=True).count() == 6


def test_client_create_is_idempotent_on_the_slug(db, world):
    # given alpha exists
    # when it is created again with other values
    client, created = client_create(slug="alpha", name="Renamed", agency=world.other_agency, currency="USD")
    # then nothing changed
    assert created is False
    assert client.pk == world.alpha.pk
    reloaded = Client.objects.get(pk=world.alpha.pk)
    assert (reloaded.name, reloaded.agency_id, reloaded.currency) == ("Alpha SAS", world.agency.pk, "EUR")


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "-dash"}, "slug"),
        ({"slug": "public"}, "slug"),
        ({"name": "  "}, "name"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"currency": "euro"}, "currency"),
    ],
)
def test_client_create_rejects_bad_fields_and_leaves_nothing(db, world, fields, bad_field):
    values = {"slug": "valid-slug", "name": "Valid", **fields}
    with pytest.raises(DomainError) as error:
        client_create(**values)
    assert error.value.field == bad_field
    assert not Client.objects.accounts().filter(slug=values["slug"]).exists()
    assert not schema_exists("c_valid_slug")


def test_client_create_refuses_to_run_inside_a_client(db, world):
    with tenant_context(world.alpha), pytest.raises(DomainError):
        client_create(slug="nested", name="Nested")
    connection.set_schema_to_public()
    assert not Client.objects.filter(slug="nested").exists()


def test_user_create_normalises_the_email_and_updates_on_rerun(db):
    user, created = user_create_or_update(email="  Jane.Doe@Example.COM ", password="a-long-enough-pass")
    assert created and user.email == "jane.doe@example.com"
    again, created_again = user_create_or_update(email="jane.doe@example.com", password="another-long-pass")
    assert not created_again and again.pk == user.pk
    again.refresh_from_db()
    assert again.check_password("another-long-pass")


def test_user_create_rejects_a_bad_email_or_a_weak_password(db):
    with pytest.raises(DomainError) as bad_email:
        user_create_or_update(email="not-an-email", password="a-long-enough-pass")
    assert bad_email.value.field == "email"
    with pytest.raises(DomainError) as weak:
        user_create_or_update(email="weak@example.com", password="123")
    assert weak.value.field == "password"


def test_membership_grant_checks_the_role_against_its_scope(db, world):
    with pytest.raises(DomainError):
        membership_grant(user=world.outsider, agency=world.agency, role="viewer")
    with pytest.raises(DomainError):
        membership_grant(user=world.outsider, client=world.alpha, role="owner")
    with pytest.raises(DomainError):
        membership_grant(user=world.outsider, role="viewer")


def test_membership_grant_again_replaces_the_role(db, world):
    membership_grant(user=world.outsider, client=world.alpha, role="viewer")
    membership_grant(user=world.outsider, client=world.alpha, role="sales")
    assert list(Membership.objects.filter(user=world.outsider).values_list("role", flat=True)) == [Role.SALES]
