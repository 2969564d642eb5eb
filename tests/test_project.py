"""Project-wide guarantees: migrations match the models, the API schema is valid, translations
are compiled, and nothing reads ../shared at run time."""

import ast
import gettext
import json
import tomllib
from io import StringIO
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, CreateModel
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent
NOT_THE_PROJECT = {".venv", "node_modules", ".data", ".git"}


def test_models_and_migrations_agree(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_openapi_schema_is_valid_and_generated_without_warnings(http_as, world, capsys):
    response = http_as(world.viewer_alpha).get("/c/alpha/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert "/c/alpha/api/v1/channels/" in schema["paths"] or "/api/v1/channels/" in str(schema["paths"])
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", "config.urls_tenants", stdout=StringIO())


def _po_entries(po: Path) -> dict[tuple[str | None, str], str]:
    """(context, msgid) → msgstr of every translated entry (a context tells apart words that translate
    differently: a share link is "actif", an invitation "active")."""
    entries, current, field = {}, {"msgctxt": None, "msgid": [], "msgstr": []}, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgctxt ", "msgid ", "msgstr ")):
            field, _, rest = line.partition(" ")
            current[field] = [json.loads(rest)]
        elif line.startswith('"') and field:
            current[field].append(json.loads(line))
        elif not line.strip():
            context = "".join(current["msgctxt"]) if current["msgctxt"] is not None else None
            msgid, msgstr = "".join(current["msgid"]), "".join(current["msgstr"])
            if msgid and msgstr:
                entries[context, msgid] = msgstr
            current, field = {"msgctxt": None, "msgid": [], "msgstr": []}, None
    return entries


def test_the_french_catalogue_is_complete_and_compiled():
    folder = ROOT / "locale" / "fr" / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert len(entries) > 50
    assert any(context for context, _msgid in entries)  # contexts are read, not merged into their msgid

    def translated(context, msgid):
        return compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)

    stale = [msgid for (context, msgid), msgstr in entries.items() if translated(context, msgid) != msgstr]
    assert stale == [], "run `make messages` to recompile the catalogue"
    untranslated = (folder / "django.po").read_text(encoding="utf-8").count('msgstr ""\n\n')
    assert untranslated == 0


def test_nothing_in_the_project_reads_the_shared_folder():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if any(part in {".venv", "node_modules", ".data"} for part in path.parts) or path == Path(__file__):
            continue
        if "../shared" in path.read_text(encoding="utf-8"):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_pytest_collects_every_test_folder_of_the_project():
    # `make test` runs plain `pytest`, which collects only `testpaths`: a folder left out is silently never run.
    testpaths = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"][
        "testpaths"
    ]
    collected = [(ROOT / path).resolve() for path in testpaths]
    folders = [
        path
        for path in ROOT.rglob("tests")
        if path.is_dir() and not NOT_THE_PROJECT.intersection(path.relative_to(ROOT).parts)
    ]
    assert len(folders) >= 7
    outside = [
        str(folder.relative_to(ROOT))
        for folder in folders
        if not any(folder == root or root in folder.parents for root in collected)
    ]
    assert outside == [], "add these folders to testpaths in pyproject.toml"


# Read outside the settings, by the entry points before any settings exist: variable -> the files reading it.
READ_BEFORE_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": ["manage.py", "config/wsgi.py", "config/asgi.py", "config/celery.py"],
    "DEMO_PORT": ["scripts/demo.py"],
}


def _variables_the_settings_read() -> set[str]:
    # env("X"), env.bool("X"), env.int("X"), env.list("X"), env.cache_url("X"), env.db_url("X")...
    names = set()
    for path in [*(ROOT / "config" / "settings").glob("*.py"), ROOT / "config" / "database.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            is_env = (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
            )
            first = node.args[0]
            if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
    return names


def _variables_env_example_lists() -> set[str]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return {line.partition("=")[0].strip() for line in lines if "=" in line and not line.lstrip().startswith("#")}


def test_env_example_lists_exactly_the_variables_pouls_reads():
    for name, files in READ_BEFORE_SETTINGS.items():
        for file in files:
            assert name in (ROOT / file).read_text(encoding="utf-8"), f"{file} no longer reads {name}"
    read = _variables_the_settings_read()
    assert {"DATABASE_URL", "POULS_TRACKING_EVENTS_PER_MINUTE", "DJANGO_HSTS_PRELOAD"} <= read
    listed = _variables_env_example_lists()
    assert sorted((read | set(READ_BEFORE_SETTINGS)) - listed) == [], "read but not listed in .env.example"
    assert sorted(listed - read - set(READ_BEFORE_SETTINGS)) == [], "listed in .env.example but never read"


def test_pouls_settings_are_declared_not_looked_up_with_a_default():
    # A getattr(settings, "POULS_…", default) hides a variable from settings and .env.example alike.
    offenders = []
    for path in ROOT.rglob("*.py"):
        if NOT_THE_PROJECT.intersection(path.relative_to(ROOT).parts) or path == Path(__file__):
            continue
        if 'getattr(settings, "POULS_' in path.read_text(encoding="utf-8"):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# Already applied in production before this rule; never rewrite a shipped migration.
SHIPPED_PLAIN_INDEXES = {("leads", "0004_lead_created_cohort_index")}


def test_new_indexes_on_client_tables_are_built_concurrently():
    # A plain AddIndex on an existing table locks its writes while the index builds, in every client's schema
    # in turn (migrate_schemas). So a later migration adds indexes to client tables with AddIndexConcurrently
    # (django.contrib.postgres.operations) in a migration with `atomic = False`; an index on a table created in
    # the same migration may stay a plain AddIndex (the table is empty).
    project_apps = {app for app in settings.TENANT_APPS if (ROOT / app).is_dir()}
    assert {"campaigns", "leads", "kpis", "dashboards"} <= project_apps
    plain, atomic_concurrent = set(), []
    for (app, name), migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.items():
        if app not in project_apps:
            continue
        created = {op.name_lower for op in migration.operations if isinstance(op, CreateModel)}
        for op in migration.operations:
            if type(op) is AddIndex and op.model_name_lower not in created:
                plain.add((app, name))
            if isinstance(op, AddIndexConcurrently) and migration.atomic:
                atomic_concurrent.append(f"{app}.{name}")
    assert plain >= SHIPPED_PLAIN_INDEXES, "a shipped exception is gone: drop it from SHIPPED_PLAIN_INDEXES"
    assert sorted(plain - SHIPPED_PLAIN_INDEXES) == [], "use AddIndexConcurrently in a migration with atomic = False"
    assert atomic_concurrent == [], "AddIndexConcurrently needs `atomic = False` on its migration"
