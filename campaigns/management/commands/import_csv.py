import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import tenant_context

from campaigns.imports.kinds import KINDS
from campaigns.imports.runner import ImportRejected, import_run
from config.errors import DomainError
from tenants.models import Client


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of one kind into a client (validated whole; all or nothing unless --partial)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--tenant", required=True, help="Client slug or schema name.")
        parser.add_argument("--kind", required=True, choices=[*KINDS, "leads"])
        parser.add_argument("--partial", action="store_true", help="Write the valid rows; print the rejected ones.")
        parser.add_argument("--rejected", type=Path, help="With --partial: write rejected rows (CSV) here.")

    def handle(self, *args, file, tenant, kind, partial, rejected, **options):
        client = Client.objects.accounts().filter(slug=tenant).first() or (
            Client.objects.accounts().filter(schema_name=tenant).first()
        )
        if client is None:
            raise CommandError(f"No client account '{tenant}'.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        try:
            with tenant_context(client):
                result = import_run(kind=kind, data=data, partial=partial, progress=self._progress)
        except ImportRejected as exc:
            self._clear_progress()
            # in DJANGO_LANGUAGE_CODE's words, as the errors below (docs/imports.md, Messages)
            self.stderr.write(
                ngettext(
                    "%(file)s: rejected, nothing was written (%(n)s bad row):",
                    "%(file)s: rejected, nothing was written (%(n)s bad rows):",
                    exc.total,
                )
                % {"file": file, "n": exc.total}
            )
            self.stderr.write(exc.message)
            sys.exit(1)
        except DomainError as exc:
            self._clear_progress()
            self.stderr.write(f"{file}: {exc.message}")
            sys.exit(1)
        self._clear_progress()
        for warning in result.warnings:
            self.stderr.write(_("warning: %(warning)s") % {"warning": warning})
        if result.errors:
            self.stderr.write("\n".join(result.errors[:100]))
            if rejected:
                rejected.write_text(result.rejected_csv, encoding="utf-8")
        self.stdout.write(result.summary())

    def _progress(self, phase: str, done: int, total: int) -> None:
        if self.stderr.isatty():
            width = 30
            filled = int(width * done / max(total, 1))
            self.stderr.write(f"\r{phase:9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
            self.stderr.flush()

    def _clear_progress(self) -> None:
        if self.stderr.isatty():
            self.stderr.write("\r" + " " * 70 + "\r", ending="")
