"""`migrate` reads every schema's applied migrations at once and visits only the schemas behind:
an up-to-date schema costs no query of its own, so a deploy does not slow down as clients grow."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import CaptureQueriesContext
from django_tenants.signals import schema_migrated
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants.migration_state import schemas_behind, tenant_migrations
from tenants.models import Client
from tenants.services import client_create


def _migrate(**options) -> str:
    out = io.StringIO()
    call_command("migrate", tenant=True, interactive=False, verbosity=1, stdout=out, **options)
    return out.getvalue()


@contextmanager
def _migrated_schemas():
    """The schemas django-tenants migrates meanwhile (its ``schema_migrated`` signal)."""
    migrated = []

    def record(schema_name, **_):
        migrated.append(schema_name)

    schema_migrated.connect(record, weak=False)
    try:
        yield migrated
    finally:
        schema_migrated.disconnect(record)


def _statements(captured: CaptureQueriesContext) -> int:
    """Queries of a run, less the `SET search_path` django-tenants sends lazily after a schema change."""
    return sum(1 for query in captured.captured_queries if not query["sql"].startswith("SET search_path"))


def _schema_count() -> int:
    """Client schemas, and the template new clients are cloned from."""
    return Client.objects.exclude(schema_name=get_public_schema_name()).count() + 1


def _latest(app: str) -> str:
    (leaf,) = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(app)
    return leaf[1]


def _forget(client_or_schema, app: str, name: str) -> None:
    """Delete one migration record of a schema: it looks behind that migration."""
    with connection.cursor() as cursor:
        schema = getattr(client_or_schema, "schema_name", client_or_schema)
        cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', [app, name])
        assert cursor.rowcount == 1


def test_with_nothing_to_apply_every_schema_is_up_to_date(db, world):
    # given the session's clients alpha, beta and gamma and the template, all migrated
    # when
    with _migrated_schemas() as migrated:
        output = _migrate()
    # then
    assert f"{_schema_count()} schemas up to date, 0 to migrate" in output
    assert migrated == []


def test_the_queries_of_a_run_with_nothing_to_apply_do_not_grow_with_the_schemas(db, world):
    # given a run with the session's schemas
    with CaptureQueriesContext(connection) as before:
        _migrate()
    # when two more clients exist (created in the test's transaction: rolled back with it)
    for slug in ("extra-one", "extra-two"):
        client_create(slug=slug, name=slug, agency=world.agency)
    with CaptureQueriesContext(connection) as after:
        output = _migrate()
    # then the same queries read their schemas too
    assert f"{_schema_count()} schemas up to date, 0 to migrate" in output
    assert _schema_count() >= 6
    # (four of them look up the template's described statements: tenants.schema_template)
    assert _statements(after) == _statements(before) <= 9
    reads = [query["sql"] for query in after.captured_queries if "django_migrations" in query["sql"]]
    assert len(reads) == 4  # which schemas have the table, then what each one applied; the template's state

    assert all(f'"{schema}"' in reads[1] for schema in ("c_alpha", "c_extra_one", "c_extra_two"))


def test_only_the_schema_behind_is_migrated(db, world):
    # given beta lost the record of campaigns' latest migration (faked back: its tables are there)
    latest = _latest("campaigns")
    _forget(world.beta, "campaigns", latest)
    # when
    with _migrated_schemas() as migrated:
        output = _migrate(fake=True)
    # then
    assert f"{_schema_count() - 1} schemas up to date, 1 to migrate" in output
    assert migrated == [world.beta.schema_name]
    assert [line.strip() for line in output.splitlines() if "Applying" in line] == [
        f"Applying campaigns.{latest}... FAKED"
    ]
    with tenant_context(world.beta):
        assert MigrationRecorder(connection).migration_qs.filter(app="campaigns", name=latest).exists()
    assert f"{_schema_count()} schemas up to date, 0 to migrate" in _migrate()


def test_check_exits_with_1_only_when_a_schema_is_behind(db, world):
    # given every schema up to date: --check passes
    assert "0 to migrate" in _migrate(check_unapplied=True)
    # when alpha is behind
    _forget(world.alpha, "campaigns", _latest("campaigns"))
    # then
    with pytest.raises(SystemExit) as exit_:
        _migrate(check_unapplied=True)
    assert exit_.value.code == 1


def test_a_template_behind_is_migrated_with_the_clients(db, world):
    # given the template lost a record, and so did gamma
    _forget("tenant_template", "reports", _latest("reports"))
    _forget(world.gamma, "reports", _latest("reports"))
    # when every client is migrated, one process at a time (the test's transaction cannot be shared)
    with _migrated_schemas() as migrated:
        output = _migrate(fake=True, executor="standard")
    # then both, and only them
    assert f"{_schema_count() - 2} schemas up to date, 2 to migrate" in output
    assert migrated == [world.gamma.schema_name, "tenant_template"]
    assert schemas_behind(["tenant_template", world.gamma.schema_name]) == []


def test_several_schemas_behind_are_migrated_by_a_pool_of_processes(committed):
    # given alpha and beta lost a record, committed (the processes have their own connections)
    latest = _latest("campaigns")
    schemas = [committed.alpha.schema_name, committed.beta.schema_name]
    try:
        for schema in schemas:
            _forget(schema, "campaigns", latest)
        # when (the multiprocessing executor, chosen for several schemas: their output is their own)
        output = _migrate(fake=True)
        behind = schemas_behind(schemas)
    finally:  # the session's schemas are shared: never leave them behind
        connection.set_schema_to_public()
        call_command("migrate", tenant=True, fake=True, interactive=False, verbosity=0, executor="standard")
    # then both were migrated
    assert f"{_schema_count() - 2} schemas up to date, 2 to migrate" in output
    assert behind == []


def test_a_schema_without_migration_records_is_behind(db, world):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "empty_one"')
    assert schemas_behind(["empty_one", world.alpha.schema_name]) == ["empty_one"]


def test_the_required_migrations_are_those_of_the_tenant_apps():
    required = tenant_migrations()
    assert ("campaigns", "0001_initial") in required
    assert ("reports", _latest("reports")) in required
    assert not {app for app, _ in required} & {"tenants", "auth", "sessions", "portfolio"}
