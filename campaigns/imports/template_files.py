"""The downloadable template of each kind (docs/imports.md): its columns, required then optional, and
one example row, as CSV or XLSX. Generated from the kind's definition (``Kind.columns``,
``Kind.example``), never written by hand, so a template always matches what the import reads; the
example is written in the client's format (``cells.written``: day-first dates, decimal commas and ';'
for a French client, as French Excel writes them; ISO dates and ',' otherwise)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from django.utils.translation import gettext as _

from campaigns.imports.cells import written
from campaigns.imports.kinds import Kind

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def template_csv(spec: Kind, *, first: bool) -> bytes:
    """The header and the example row; for a day-first (French) client ';'-separated with a BOM,
    which French Excel opens in columns with its accents."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if first else ",", lineterminator="\r\n")
    writer.writerow(spec.columns)
    writer.writerow([written(spec.example.get(c), first) for c in spec.columns])
    return (out.getvalue()).encode("utf-8-sig" if first else "utf-8")


def template_xlsx(spec: Kind, *, first: bool) -> bytes:
    """A workbook whose first sheet is the file to fill in (dates as date cells, numbers as numbers),
    and whose second sheet says which columns are required. The import reads the first sheet only."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec.name[:31]
    sheet.append(list(spec.columns))
    sheet.append([spec.example.get(c) for c in spec.columns])
    for cell in sheet[2]:
        value = spec.example.get(spec.columns[cell.column - 1])
        if isinstance(value, datetime):
            cell.number_format = "dd/mm/yyyy hh:mm" if first else "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            cell.number_format = "dd/mm/yyyy" if first else "yyyy-mm-dd"
    notes = workbook.create_sheet(_("Columns")[:31])
    notes.append([_("column"), _("required")])
    for column in spec.columns:
        notes.append([column, _("yes") if column in spec.required else _("no")])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_file(spec: Kind, fmt: str, *, first: bool) -> bytes:
    return template_xlsx(spec, first=first) if fmt == "xlsx" else template_csv(spec, first=first)
