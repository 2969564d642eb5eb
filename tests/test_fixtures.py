"""The suite's own fixtures do what the tests rely on: ``in_client`` keeps the test in its client's
schema whatever the requests in between, and hands the public schema back at the end."""

from __future__ import annotations

from django.db import connection

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory


def test_in_alpha_writes_and_reads_in_alpha_only(world, in_alpha):
    CampaignFactory(key="only-in-alpha")
    assert connection.schema_name == world.alpha.schema_name
    assert list(Campaign.objects.values_list("key", flat=True)) == ["only-in-alpha"]


def test_requests_to_other_clients_and_to_the_root_leave_the_test_in_its_client(world, in_alpha, http_as):
    CampaignFactory(key="only-in-alpha")
    owner = http_as(world.owner)  # reaches alpha and beta
    # when the test asks pages of beta, of the root and of alpha, one after the other
    for path, keys in (
        ("/c/beta/api/v1/campaigns/", []),
        ("/", None),
        ("/c/alpha/api/v1/campaigns/", ["only-in-alpha"]),
    ):
        answer = owner.get(path)
        # then each ran in its own schema, and the test is back in alpha after each
        assert answer.status_code == 200, path
        if keys is not None:
            assert [c["key"] for c in answer.json()["results"]] == keys, path
        assert connection.schema_name == world.alpha.schema_name, path
        assert Campaign.objects.get().key == "only-in-alpha"


def test_in_client_switches_for_the_rest_of_the_test(world, db, in_client, http_as):
    assert connection.schema_name == "public"
    in_client(world.beta)
    http_as(world.owner).get("/c/alpha/api/v1/campaigns/")
    assert connection.schema_name == world.beta.schema_name
    assert not Campaign.objects.exists()


def test_the_next_test_starts_in_the_public_schema(db):
    assert connection.schema_name == "public"
