"""Turn an uploaded file into a header and numbered rows: CSV in UTF-8 with or without BOM, comma or
semicolon separated (French Excel writes ';'), or the first sheet of an XLSX workbook (docs/imports.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DomainError(f"line {line}: the file is not UTF-8 text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise DomainError("line 1: the header row is missing")
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
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DomainError(f"line 1: not a readable XLSX workbook ({exc.__class__.__name__})") from None
    sheet = workbook.worksheets[0]
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
        cells = [_xlsx_cell(v) for v in values]
        if not header:
            header = [c.strip().lower() for c in cells]
            if not any(header):
                raise DomainError("line 1: the header row is missing")
        elif any(c.strip() for c in cells):
            rows.append((number, cells))
    workbook.close()
    return Table(header=header, rows=rows)
