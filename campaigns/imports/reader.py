"""Turn an uploaded file into a header and numbered rows: CSV in UTF-8 with or without BOM or in
Windows-1252 (what French Excel saves as "CSV (séparateur : point-virgule)"), comma or semicolon
separated (French Excel writes ';'), or the first sheet of an XLSX workbook (docs/imports.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from config.errors import DomainError


@dataclass
class Table:
    header: list[str]  # normalised column names (trimmed, lower-cased)
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)


def _delimiter(first_line: str) -> str:
    # The header decides: French exports use ';' and may have ',' in decimals further down.
    return ";" if first_line.count(";") > first_line.count(",") else ","


def table_read(data: bytes) -> Table:
    if data[:4] == b"PK\x03\x04":  # a zip container: an XLSX workbook
        return _xlsx_read(data)
    text = _decoded(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise DomainError(_("line 1: the header row is missing"))
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first_line))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    for cells in _numbered(reader):
        line, values = cells
        if not header:
            header = [h.strip().lower() for h in values]
            continue
        if any(v.strip() for v in values):
            rows.append((line, values))
    return Table(header=header, rows=rows)


def _decoded(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) first, else Windows-1252. The order makes the guess safe: a file that
    decodes as UTF-8 is UTF-8 in practice, since a French cp1252 text has its accented letters as
    single bytes ≥ 0x80 between ASCII ones, and those never form the lead-byte-then-continuation-bytes
    sequences UTF-8 requires ("é" alone, 0xE9, is a truncated sequence). Decoding UTF-8 as cp1252
    would give "Ã©", but a UTF-8 file never gets there. Bytes cp1252 leaves undefined (0x81, 0x8D,
    0x8F, 0x90, 0x9D) mean neither: the file is refused at their line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DomainError(
            _("line %(line)s: byte 0x%(byte)02X is neither UTF-8 nor Windows-1252 text; save the file as CSV UTF-8")
            % {"line": line, "byte": data[exc.start]}
        ) from None


def _numbered(reader) -> Iterator[tuple[int, list[str]]]:
    # csv.reader.line_num counts physical lines, so quoted multi-line cells keep numbers right.
    start = 1
    for values in reader:
        yield start, values
        start = reader.line_num + 1


def _xlsx_cell(value) -> str:
    """Spreadsheet values as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.isoformat(timespec="seconds")
            if (value.hour, value.minute, value.second) != (0, 0, 0)
            else (value.date().isoformat())
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_read(data: bytes) -> Table:
    """The first sheet of a workbook; line numbers are the sheet's row numbers."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file; their names mean nothing to a reader
        raise DomainError(
            _("line 1: not a readable XLSX workbook; save it again from Excel as a workbook (.xlsx) or as CSV UTF-8")
        ) from None
    sheet = workbook.worksheets[0]
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
        cells = [_xlsx_cell(v) for v in values]
        if not header:
            header = [c.strip().lower() for c in cells]
            if not any(header):
                raise DomainError(_("line 1: the header row is missing"))
        elif any(c.strip() for c in cells):
            rows.append((number, cells))
    workbook.close()
    return Table(header=header, rows=rows)
