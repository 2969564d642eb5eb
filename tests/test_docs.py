"""The contract lives in the repository: docs/kpis.md, docs/imports.md and docs/architecture.md exist,
every reference to them in the code resolves, and the KPI, channel and import tables they hold say
what the code defines (a KPI, a channel or a column added to the code without its line in the docs
fails here)."""

import re
from pathlib import Path

from campaigns.channels import BUILTIN_CHANNELS
from campaigns.imports.runner import import_kinds
from kpis.registry import KPIS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOT_THE_PROJECT = {".venv", "node_modules", ".data", ".git", "staticfiles", "artifacts"}
# Places the old, out-of-repository contract was cited from.
STALE = re.compile(r"shared/spec|shared/docs|spec[: ]+(kpis|imports)\.md|\.\./spec/")


def _project_files():
    for pattern in ("*.py", "*.html", "*.md", "*.js"):
        for path in ROOT.rglob(pattern):
            if not NOT_THE_PROJECT.intersection(path.relative_to(ROOT).parts):
                yield path


def _sections(text: str) -> set[str]:
    return set(re.findall(r"^## (\d+)\. ", text, flags=re.MULTILINE))


def _table_rows(text: str) -> list[list[str]]:
    """Cells of every Markdown table row whose first cell is a `code` name (``\\|`` is no separator)."""
    return [
        [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        for line in text.splitlines()
        if line.startswith("| `")
    ]


def _names(cell: str) -> set[str]:
    """``"channel (default `organic_search`), landing_page"`` → ``{"channel", "landing_page"}``."""
    cell = re.sub(r"\([^)]*\)", "", cell)
    return {name.strip() for name in cell.split(",") if name.strip() not in ("", "—")}


def test_every_reference_to_the_docs_resolves_and_none_points_outside_the_repository():
    kpi_sections = _sections((DOCS / "kpis.md").read_text(encoding="utf-8"))
    assert {"1", "2", "3", "4", "5", "6"} <= kpi_sections
    missing, stale, cited = [], [], 0
    for path in _project_files():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        if STALE.search(text) and path != Path(__file__):
            stale.append(where)
        for name in re.findall(r"docs/([a-z_-]+\.md)", text):
            cited += 1
            if not (DOCS / name).is_file():
                missing.append(f"{where}: docs/{name}")
        for refs in re.findall(r"docs/kpis\.md ((?:§\d+(?:, )?)+)", text):
            missing += [f"{where}: docs/kpis.md §{n}" for n in re.findall(r"\d+", refs) if n not in kpi_sections]
    assert cited >= 30  # the code does cite them
    assert missing == []
    assert stale == []


def test_the_kpi_tables_list_exactly_the_kpis_of_the_registry():
    text = (DOCS / "kpis.md").read_text(encoding="utf-8")
    section_4 = text.split("## 4. ", 1)[1].split("## 5. ", 1)[0]
    rows = {row[0].strip("`"): row for row in _table_rows(section_4)}
    assert set(rows) == set(KPIS)
    for key, kpi in KPIS.items():
        unit, dimensions, better = rows[key][3], rows[key][4], rows[key][5]
        assert unit == kpi.unit, key
        assert _names(dimensions) == set(kpi.dimensions), key
        assert better == ("—" if kpi.better == "none" else kpi.better), key


def test_the_channel_table_lists_the_built_in_channels_and_their_paid_flag():
    text = (DOCS / "kpis.md").read_text(encoding="utf-8")
    section_2 = text.split("## 2. ", 1)[1].split("## 3. ", 1)[0]
    documented = {}
    for row in _table_rows(section_2):
        for key, paid in zip(row[0::2], row[1::2], strict=True):
            documented[key.strip("`")] = paid == "yes"
    assert documented == {key: paid for key, (_name, paid) in BUILTIN_CHANNELS.items()}


def test_the_import_table_lists_every_kind_with_its_columns():
    text = (DOCS / "imports.md").read_text(encoding="utf-8")
    rows = {row[0].strip("`"): row for row in _table_rows(text) if len(row) == 4}
    kinds = import_kinds()
    assert set(rows) == set(kinds)
    for name, kind in kinds.items():
        assert _names(rows[name][1]) == set(kind.required), name
        assert _names(rows[name][2]) == set(kind.optional), name


def test_every_file_the_docs_name_exists():
    # A module renamed or moved without its docs fails here (the docs cite code by path).
    named = {
        path
        for doc in DOCS.glob("*.md")
        for path in re.findall(
            r"`((?:config|tenants|campaigns|leads|kpis|dashboards|portfolio|tests|bench)/[\w./-]*)`",
            doc.read_text(encoding="utf-8"),
        )
    }
    assert len(named) >= 20
    assert sorted(path for path in named if not (ROOT / path).exists()) == []
