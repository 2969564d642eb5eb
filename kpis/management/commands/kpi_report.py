"""``kpi_report``: compute KPIs of one client account from its source data (docs/imports.md)."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import tenant_context

from kpis.periods import PERIODS
from kpis.registry import DIMENSIONS
from kpis.report import kpi_compute
from tenants.models import Client
from tenants.zones import client_zone

COLUMNS = ("kpi", "period", "start", "dimension", "key", "value", "numerator", "denominator", "target", "status")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: '{text}' is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Compute KPIs of a client account from its source data, for every period starting in [from, to]."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Client slug or schema name.")
        parser.add_argument("--period", required=True, choices=PERIODS)
        parser.add_argument("--from", dest="date_from", required=True, metavar="DATE")
        parser.add_argument("--to", dest="date_to", required=True, metavar="DATE")
        parser.add_argument("--dimension", choices=DIMENSIONS)
        # Built-in or custom keys: the report refuses unknown ones (kpis.report.kpi_compute)
        parser.add_argument("--kpi", nargs="+", metavar="KEY", help="Restrict the KPIs.")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            metavar="TIMESTAMP",
            help="ISO timestamp (default now); without an offset, in the client's time zone.",
        )
        parser.add_argument("--format", dest="fmt", choices=("table", "json", "csv"), default="table")

    def handle(self, *args, tenant, period, date_from, date_to, dimension, kpi, as_of, fmt, **options):
        client = Client.objects.accounts().filter(slug=tenant).first() or (
            Client.objects.accounts().filter(schema_name=tenant).first()
        )
        if client is None:
            raise CommandError(f"No client account '{tenant}'.")
        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        if start > end:
            raise CommandError(f"--from ({start}) is after --to ({end}).")
        zone = client_zone(client)
        if as_of is None:
            instant = timezone.now()
        else:
            try:
                instant = datetime.fromisoformat(as_of.strip())
            except ValueError:
                raise CommandError(f"--as-of: '{as_of}' is not an ISO timestamp.") from None
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=zone)
        with tenant_context(client):
            try:
                rows = kpi_compute(period=period, start=start, end=end, dimension=dimension, as_of=instant, kpis=kpi)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        if fmt == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
        elif fmt == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
        else:
            self._table(rows)

    def _table(self, rows: list[dict]) -> None:
        columns = ("kpi", "start", "key", "value", "numerator", "denominator")
        cells = [columns] + [tuple(_cell(row[c], key=c == "key") for c in columns) for row in rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
        for line in cells:
            self.stdout.write("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip())


def _cell(value, *, key: bool = False) -> str:
    if value is None:
        return "(none)" if key else "—"
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)
