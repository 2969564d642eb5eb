"""Run an import: read, validate every row, then write all valid rows in one transaction."""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.imports.cells import day_first
from campaigns.imports.coverage_warning import coverage_warning
from campaigns.imports.kinds import KINDS, Context, RowError
from campaigns.imports.reader import table_read
from campaigns.imports.upsert import UpsertCount
from config.errors import DomainError
from config.events import facts_changed
from tenants.zones import client_zone

MAX_LISTED_ERRORS = 100
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class ImportResult:
    kind: str
    rows: int
    written: UpsertCount
    created_keys: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # rejected rows (only with partial)
    rejected_csv: str = ""

    def summary(self) -> str:
        counts = {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.written.created,
            "updated": self.written.updated,
            "unchanged": self.written.unchanged,
        }
        parts = [
            _("%(kind)s: %(rows)s rows, %(created)s created, %(updated)s updated, %(unchanged)s unchanged") % counts
        ]
        parts += [
            _("created on the fly (%(model)s): %(keys)s") % {"model": model, "keys": ", ".join(keys)}
            for model, keys in self.created_keys.items()
        ]
        if self.errors:
            n = len(self.errors)
            parts.append(ngettext("%(n)s row rejected", "%(n)s rows rejected", n) % {"n": n})
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.written.created,
            "updated": self.written.updated,
            "unchanged": self.written.unchanged,
            "created_keys": self.created_keys,
            "warnings": self.warnings,
            "errors": self.errors[:MAX_LISTED_ERRORS],
            "rejected_count": len(self.errors),
        }


class ImportRejected(DomainError):
    """The file was refused whole; ``errors`` lists every bad row (up to 100)."""

    def __init__(self, errors: list[str], total: int):
        shown = errors[:MAX_LISTED_ERRORS]
        more = "\n" + _("… and %(n)s more") % {"n": total - len(shown)} if total > len(shown) else ""
        super().__init__("\n".join(shown) + more, field="file")
        self.errors, self.total = shown, total


# Kinds defined by the apps above this one (the CRM registers "leads", it owns the lead rules).
_REGISTERED: dict = {}


def import_kind_register(name: str, kind) -> None:
    """Add a kind defined by another app (from its AppConfig.ready, so every process has it)."""
    _REGISTERED[name] = kind


def import_kinds() -> dict:
    """Every kind, the registered ones (leads) included."""
    return {**KINDS, **_REGISTERED}


def line_error(line: int, column: str, reason: str) -> str:
    """The one wording of a bad cell: ``line N, column C: reason`` (in French ``ligne N, colonne C : …``)."""
    return _("line %(line)s, column %(column)s: %(reason)s") % {"line": line, "column": column, "reason": reason}


def unknown_kind(kind: str) -> DomainError:
    return DomainError(
        _("Unknown kind '%(kind)s' (one of %(kinds)s).") % {"kind": kind, "kinds": ", ".join(import_kinds())},
        field="kind",
    )


def _client() -> object:
    tenant = getattr(connection, "tenant", None)
    if tenant is None or not getattr(tenant, "time_zone", None):
        raise DomainError(_("Imports run inside a client account."))
    return tenant


def client_language(client) -> str:
    """The language a client's files are written in: its agency's (``Agency.default_language``),
    else the site's. It decides how slashed dates are read (``cells.day_first``)."""
    agency_id = getattr(client, "agency_id", None)
    if agency_id is None:
        return ""
    from tenants.models import Agency

    return Agency.objects.filter(pk=agency_id).values_list("default_language", flat=True).first() or ""


def _client_zone() -> zoneinfo.ZoneInfo:
    return client_zone(_client())


@dataclass
class Checked:
    """A file read and validated, nothing written yet (the admin's preview, then the write)."""

    kind: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    present: set[str]
    warnings: list[str]
    valid: list[dict]
    errors: list[str]
    bad_rows: list[tuple[list[str], str]]
    context: Context

    def to_create(self) -> dict[type, list[str]]:
        """The campaigns, offers, landing pages and CTAs the write would create (unknown keys)."""
        return self.context.to_create()


def import_check(*, kind: str, data: bytes, progress: Progress | None = None) -> Checked:
    """Read and validate every row of ``data``; raises only when the file as a whole is unusable."""
    spec = import_kinds().get(kind)
    if spec is None:
        raise unknown_kind(kind)
    table = table_read(data)
    missing = [c for c in spec.required if c not in table.header]
    if missing:
        raise ImportRejected([line_error(1, c, _("required column missing")) for c in missing], len(missing))
    warnings = [
        _("column %(column)s is not used by %(kind)s imports and was ignored") % {"column": c, "kind": kind}
        for c in table.header
        if c and c not in spec.columns
    ]
    client = _client()
    ctx = Context.load(client_zone(client), day_first(client_language(client)))
    valid, errors, bad_rows, seen = [], [], [], {}
    total = len(table.rows)
    for done, (line, cells) in enumerate(table.rows, 1):
        row = dict(zip(table.header, cells, strict=False))
        try:
            values = spec.parse(row, ctx)
            identity = tuple(values.get(c) for c in spec.identity)
            if identity in seen and not spec.merges_duplicates:
                raise RowError(
                    spec.identity[0],
                    _("same %(columns)s as line %(line)s")
                    % {"columns": ", ".join(spec.identity), "line": seen[identity]},
                )
            seen[identity] = line
            valid.append(values)
        except RowError as exc:
            errors.append(line_error(line, exc.column, exc.reason))
            bad_rows.append((cells, errors[-1]))
        if progress and done % 1000 == 0:
            progress("validate", done, total)
    present = {c for c in table.header if c in spec.columns}
    covered = coverage_warning(kind, valid, ctx)
    if covered:
        warnings.append(covered)
    return Checked(kind, table.header, table.rows, present, warnings, valid, errors, bad_rows, ctx)


def import_dry_run(*, kind: str, data: bytes, partial: bool = False) -> dict:
    """What importing ``data`` would do, nothing written (the API's ``dry_run``, the admin's preview in
    data): its rows, the errors, the warnings, and the keys it would create (a misspelt campaign key
    would be one), by model."""
    try:
        checked = import_check(kind=kind, data=data)
    except ImportRejected as exc:
        return {"kind": kind, "rows": 0, "errors": exc.errors, "rejected_count": exc.total, "refused": True}
    except DomainError as exc:
        if exc.field == "kind":
            raise
        return {"kind": kind, "rows": 0, "errors": [exc.message], "rejected_count": 1, "refused": True}
    return {
        "kind": kind,
        "rows": len(checked.rows),
        "errors": checked.errors[:MAX_LISTED_ERRORS],
        "rejected_count": len(checked.errors),
        "refused": bool(checked.errors) and not partial,
        "warnings": checked.warnings,
        "would_create": {model._meta.model_name: keys for model, keys in checked.to_create().items()},
    }


def import_write(checked: Checked, *, partial: bool = False, progress: Progress | None = None) -> ImportResult:
    """Write a checked file in one transaction: all rows, or with ``partial`` the valid ones."""
    if checked.errors and not partial:
        raise ImportRejected(checked.errors, len(checked.errors))
    spec = import_kinds()[checked.kind]
    with transaction.atomic():
        created_keys = checked.context.create_missing()
        written = spec.write(checked.valid, checked.context, checked.present) if checked.valid else UpsertCount()
        if written.created or written.updated:
            facts_changed.send(sender=import_write)
    total = len(checked.rows)
    if progress:
        progress("write", total, total)
    return ImportResult(
        kind=checked.kind,
        rows=total,
        written=written,
        created_keys=created_keys,
        warnings=checked.warnings,
        errors=checked.errors,
        rejected_csv=_rejected_csv(checked.header, checked.bad_rows),
    )


def import_run(*, kind: str, data: bytes, partial: bool = False, progress: Progress | None = None) -> ImportResult:
    """Import one file of ``kind``. All or nothing unless ``partial``; re-running changes nothing."""
    return import_write(import_check(kind=kind, data=data, progress=progress), partial=partial, progress=progress)


def _rejected_csv(header: list[str], bad_rows: list[tuple[list[str], str]]) -> str:
    if not bad_rows:
        return ""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*header, "error"])
    for cells, error in bad_rows:
        writer.writerow([*cells, error])
    return out.getvalue()
