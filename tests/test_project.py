"""Project-wide guarantees: migrations match the models, the API schema is valid, translations
are compiled, and nothing reads ../shared at run time."""

import gettext
import json
import tomllib
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command
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


def _po_entries(po: Path) -> dict[str, str]:
    entries, current, field = {}, {"msgid": [], "msgstr": []}, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            field, _, rest = line.partition(" ")
            current[field] = [json.loads(rest)]
        elif line.startswith('"') and field:
            current[field].append(json.loads(line))
        elif not line.strip():
            msgid, msgstr = "".join(current["msgid"]), "".join(current["msgstr"])
            if msgid and msgstr:
                entries[msgid] = msgstr
            current, field = {"msgid": [], "msgstr": []}, None
    return entries


def test_the_french_catalogue_is_complete_and_compiled():
    folder = ROOT / "locale" / "fr" / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert len(entries) > 50
    stale = [msgid for msgid, msgstr in entries.items() if compiled.gettext(msgid) != msgstr]
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
