"""The API, fuzzed from its own OpenAPI document: every operation of a client's schema, called through
the WSGI application with a manager's token, with valid and invalid inputs that schemathesis derives
from the document. Whatever it sends, the API answers without a server error, with a status code the
document lists and a body that matches the document's schema for that code.

The public API (tokens, portfolio) is fuzzed the same way. ``-m fuzz`` selects this module.

The fuzzer writes for real (the WSGI application commits, as in production), so it works in a client
of its own, created for this module and dropped at its end; its user and tokens go with it, and the
throttle counts and lockouts it leaves are forgotten.

The documents are built when pytest imports the module, by the generator and settings the schema
views use (schemathesis then makes one test per operation); the first test checks that they are the
documents the API serves. (schemathesis' lazy ``from_fixture`` loader, which would fetch them over
HTTP, renames pytest's test ids through an attribute pytest 9.2 no longer has.)
"""

from __future__ import annotations

import json
import uuid

import pytest
import schemathesis
from django.db import connection
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api_schema import client_server_url
from config.wsgi import application
from tenants.models import Client, User
from tenants.services import client_create, membership_grant, user_create_or_update

pytestmark = pytest.mark.fuzz

SEED = 20260101
SLUG = f"fuzz-{uuid.uuid4().hex[:8]}"
EXAMPLES_PER_OPERATION = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
CONFIG = {
    "seed": SEED,
    "generation": {
        "mode": "all",  # valid inputs and invalid ones
        "deterministic": True,
        "database": "none",
        # Our own token authenticates every call; random Authorization headers would only test the 401.
        "with-security-parameters": False,
    },
    # The coverage phase is left out: it sends every boundary case of every field, unbounded (~70 calls
    # per operation here); the fuzzing phase is bounded by EXAMPLES_PER_OPERATION.
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": False},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
}


@pytest.fixture(scope="module")
def fuzzed(django_db_setup, django_db_blocker):
    """A client of its own, its manager and the manager's token, for the module; afterwards the client's
    schema is dropped, the user and tokens deleted, throttle counts and lockouts forgotten."""
    from axes.utils import reset as axes_reset

    from config.celery import app
    from config.throttling import throttle_cache

    # Imports and refreshes the fuzzer queues go to a queue of their own, deleted at the end.
    queue, previous_queue = f"pouls-{SLUG}", app.conf.task_default_queue
    app.conf.task_default_queue = queue
    # Thousands of requests: each keeps the test's database connection instead of opening its own.
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = None
    with django_db_blocker.unblock():
        client, _ = client_create(slug=SLUG, name="Fuzz SAS")
        manager, _ = user_create_or_update(email=f"manager@{SLUG}.test", password="fuzz-manager-password-2026")
        membership_grant(user=manager, client=client, role="manager")
        _, token = AuthToken.objects.create(user=manager)
        connection.set_schema_to_public()
        try:
            yield {"Authorization": f"Token {token}"}
        finally:
            connection.set_schema_to_public()
            AuthToken.objects.filter(user=manager).delete()
            User.objects.filter(pk=manager.pk).delete()
            Client.objects.get(pk=client.pk).delete(force_drop=True)
            throttle_cache().clear()
            axes_reset()
            connection.settings_dict["CONN_MAX_AGE"] = max_age
            app.conf.task_default_queue = previous_queue
            with app.connection_for_write() as broker:
                broker.default_channel.queue_delete(queue)


def _document(urlconf: str) -> dict:
    """The OpenAPI document of ``urlconf``, as its schema view builds it (same generator, same settings)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


# Collected once, when pytest imports this module (schemathesis makes one test per operation).
CLIENT_DOCUMENT = {**_document("config.urls_tenants"), "servers": [{"url": client_server_url(SLUG)}]}
PUBLIC_DOCUMENT = _document("config.urls_public")
client_api = schemathesis.openapi.from_dict(CLIENT_DOCUMENT, config=schemathesis.Config.from_dict(CONFIG))
client_api.app = application
public_api = schemathesis.openapi.from_dict(PUBLIC_DOCUMENT, config=schemathesis.Config.from_dict(CONFIG))
public_api.app = application


def _operations(document: dict) -> set[tuple[str, str, tuple[str, ...]]]:
    return {
        (method, path, tuple(sorted(operation["responses"])))
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_the_fuzzed_documents_are_the_ones_the_api_serves(fuzzed, anonymous):
    # when a client's document and the public one are fetched as a script would
    served = anonymous.get(f"/c/{SLUG}/api/v1/schema/?format=json", headers=fuzzed).json()
    public = anonymous.get("/api/v1/schema/?format=json").json()
    # then they have the operations, answers and server fuzzed below
    assert _operations(served) == _operations(CLIENT_DOCUMENT)
    assert served["servers"] == [{"url": f"/c/{SLUG}"}]
    assert _operations(public) == _operations(PUBLIC_DOCUMENT)
    assert len(_operations(CLIENT_DOCUMENT)) >= 80


@client_api.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_client_operation_answers_as_documented(case, fuzzed):
    case.call_and_validate(headers=fuzzed, checks=CHECKS)


@public_api.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_public_operation_answers_as_documented(case, fuzzed):
    case.call_and_validate(headers=fuzzed, checks=CHECKS)
