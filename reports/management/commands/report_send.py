"""``report_send --tenant SLUG --report ID [--period-start DATE]``: render and send one report now, in
this process (no worker), and print the delivery (docs/reports.md). The period is the week or month
holding the date (``YYYY-MM-DD``, or ``DD/MM/YYYY`` for a French agency's client, as imports read
dates), else the last complete one. The operator's send needs no approval."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from campaigns.imports.cells import CellError, day, day_first
from config.errors import DomainError
from reports import services
from reports.delivery import delivery_run
from reports.models import ReportSchedule
from tenants.models import Client


class Command(BaseCommand):
    help = "Send a client's scheduled report now and print the delivery."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Client slug or schema name.")
        parser.add_argument("--report", required=True, help="The report schedule's id.")
        parser.add_argument("--period-start", dest="period_start", metavar="DATE", help="A day of the period.")

    def handle(self, *args, tenant, report, period_start, **options):
        client = Client.objects.accounts().filter(slug=tenant).first() or (
            Client.objects.accounts().filter(schema_name=tenant).first()
        )
        if client is None or not client.is_active:
            raise CommandError(f"No active client account '{tenant}'.")
        if not report.strip().isascii() or not report.strip().isdigit():
            raise CommandError(f"--report: '{report}' is not a report id (a number).")
        start = None
        if period_start is not None:
            language = client.agency.default_language if client.agency else None
            try:
                start = day(period_start, first=day_first(language))
            except CellError as error:
                raise CommandError(f"--period-start: {error}") from None
        with tenant_context(client):
            schedule = ReportSchedule.objects.filter(pk=int(report)).first()
            if schedule is None:
                raise CommandError(f"No report {report} in '{client.slug}'.")
            try:
                delivery = services.delivery_request(schedule, period_start=start, approved=True)
            except DomainError as error:
                raise CommandError(f"--{(error.field or 'period-start').replace('_', '-')}: {error.message}") from None
            delivery = delivery_run(delivery.pk) or delivery
            delivery.refresh_from_db()
        self.stdout.write(f"delivery {delivery.pk}")
        self.stdout.write(f"report   {schedule.pk} {schedule.name}")
        self.stdout.write(f"period   {delivery.period_start:%Y-%m-%d} – {delivery.period_end:%Y-%m-%d}")
        self.stdout.write(f"status   {delivery.status}")
        self.stdout.write(f"sent to  {', '.join(delivery.sent_to) or '—'}")
        if delivery.error:
            self.stdout.write(f"error    {delivery.error}")
        if delivery.status not in ("sent",):
            raise CommandError(f"The report was not sent (status {delivery.status}).")
