"""A chart's data as a CSV file a spreadsheet opens as numbers. English: commas between cells, dot
decimals, rates as fractions (the file as it has always been). French: what French Excel reads
without an import wizard: ``;`` between cells, decimal commas without grouping, rates as
percentages with ``(%)`` in the header. Both start with a BOM so that the accents read right."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from dashboards.charts import Chart, table_rows
from dashboards.formatting import Formatter
from kpis.registry import Unit

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT_UNITS = (Unit.RATE, Unit.RATIO)


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run: names from imports (``=HYPERLINK(…)``) get a quote
    in front; numbers, negative ones and French ones (``-12,5``) included, stay numbers."""
    if not text.startswith(FORMULA_STARTS):
        return text
    try:
        float(text.replace(",", "."))
    except ValueError:
        return "'" + text
    return text


@dataclass(frozen=True)
class FrenchCsvNumbers:
    """Stands in for the formatter's ``plain`` numbers in :func:`table_rows`: the same digits with
    a decimal comma and no thousands separator (a grouped ``1 234,5`` is text to Excel), rates as
    percentages (``0.125`` → ``12,5``)."""

    formatter: Formatter

    def plain(self, number, unit: str) -> str:
        if number is not None and unit in PERCENT_UNITS:
            return f"{number * 100:.4f}".rstrip("0").rstrip(".").replace(".", ",")
        return self.formatter.plain(number, unit).replace(".", ",")


def _french_header(chart: Chart, header: list[str]) -> list[str]:
    """``(%)`` after the title of each rate column, so that ``12,5`` reads as 12.5 %."""
    percent_titles = {d.label for d in chart.datasets if d.unit in PERCENT_UNITS}
    percent_titles |= {title for title, _values, unit in chart.extra_columns if unit in PERCENT_UNITS}
    return [f"{title} (%)" if title in percent_titles else title for title in header]


def chart_csv(chart: Chart, fmt: Formatter) -> str:
    """The chart's data as CSV, in the shape spreadsheets of the page's language read as numbers."""
    if fmt.language == "fr":
        header, rows = table_rows(chart, FrenchCsvNumbers(fmt), plain=True)
        header, delimiter = _french_header(chart, header), ";"
    else:
        header, rows = table_rows(chart, fmt, plain=True)
        delimiter = ","
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in header])
    writer.writerows([_cell(c) for c in row] for row in rows)
    return out.getvalue()
