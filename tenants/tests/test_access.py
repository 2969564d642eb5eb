import pytest
from django.contrib.auth.models import AnonymousUser

from tenants.access import client_access_for, clients_visible_to
from tenants.models import Client, Role, User
from tenants.services import membership_grant


@pytest.mark.parametrize(
    ("user", "client", "role"),
    [
        ("owner", "alpha", Role.OWNER),
        ("owner", "beta", Role.OWNER),
        ("owner", "gamma", None),
        ("staff", "beta", Role.STAFF),
        ("manager_alpha", "alpha", Role.MANAGER),
        ("manager_alpha", "beta", None),
        ("sales_alpha", "alpha", Role.SALES),
        ("viewer_alpha", "alpha", Role.VIEWER),
        ("viewer_alpha", "beta", None),
        ("other_owner", "gamma", Role.OWNER),
        ("other_owner", "alpha", None),
        ("outsider", "alpha", None),
    ],
)
def test_client_access_follows_memberships(db, world, user, client, role):
    access = client_access_for(getattr(world, user), getattr(world, client))
    assert (access.role if access else None) == role


def test_the_strongest_membership_wins(db, world):
    membership_grant(user=world.viewer_alpha, agency=world.agency, role="staff")
    assert client_access_for(world.viewer_alpha, world.alpha).role == Role.STAFF


def test_capabilities_by_role(db, world):
    viewer = client_access_for(world.viewer_alpha, world.alpha)
    sales = client_access_for(world.sales_alpha, world.alpha)
    manager = client_access_for(world.manager_alpha, world.alpha)
    assert (viewer.can_write, viewer.can_manage) == (False, False)
    assert (sales.can_write, sales.can_manage) == (True, False)
    assert (manager.can_write, manager.can_manage) == (True, True)


def test_access_fails_closed(db, world):
    assert client_access_for(AnonymousUser(), world.alpha) is None
    assert client_access_for(None, world.alpha) is None
    assert client_access_for(world.owner, None) is None
    assert client_access_for(world.owner, Client.objects.get(schema_name="public")) is None
    assert client_access_for(world.owner, Client(slug="ghost", schema_name="public")) is None


def test_an_inactive_client_or_user_has_no_access(db, world):
    Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
    assert client_access_for(world.owner, Client.objects.get(pk=world.alpha.pk)) is None
    inactive = User.objects.get(pk=world.owner.pk)
    inactive.is_active = False
    assert client_access_for(inactive, world.beta) is None


def test_clients_visible_to_each_kind_of_user(db, world):
    def slugs(user):
        return [a.client.slug for a in clients_visible_to(user)]

    assert slugs(world.owner) == ["alpha", "beta"]
    assert slugs(world.viewer_beta) == ["beta"]
    assert slugs(world.other_owner) == ["gamma"]
    assert slugs(world.outsider) == []
    assert slugs(AnonymousUser()) == []
