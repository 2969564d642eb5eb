"""Imports in the client's admin: upload, preview of the first rows with the validation result,
confirm, then follow the worker's progress."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.imports import cells
from campaigns.imports.jobs import MAX_UPLOAD_BYTES, import_job_create, import_job_queue
from campaigns.imports.labels import kind_label
from campaigns.imports.runner import Checked, ImportRejected, client_language, import_check, import_kinds
from campaigns.imports.template_files import FORMATS, template_file
from campaigns.models import CTA, Campaign, ImportJob, LandingPage, Offer
from config.errors import DomainError
from tenants.models import User
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site

PREVIEW_ROWS = 10

# The worker's phases (runner.Progress) in words.
PHASES = {"validate": _("checking the rows"), "write": _("writing")}

# What the preview says of the keys a file would create (a misspelt campaign key would be one).
NEW_KEYS = {
    Campaign: lambda n: ngettext(
        "%(n)s new campaign will be created: %(keys)s", "%(n)s new campaigns will be created: %(keys)s", n
    ),
    Offer: lambda n: ngettext(
        "%(n)s new offer will be created: %(keys)s", "%(n)s new offers will be created: %(keys)s", n
    ),
    LandingPage: lambda n: ngettext(
        "%(n)s new landing page will be created: %(keys)s", "%(n)s new landing pages will be created: %(keys)s", n
    ),
    CTA: lambda n: ngettext("%(n)s new CTA will be created: %(keys)s", "%(n)s new CTAs will be created: %(keys)s", n),
}
LISTED_KEYS = 20


def new_keys_warnings(checked: Checked) -> list[str]:
    """One sentence per kind of record the file would create, naming its keys (the first 20)."""
    warnings = []
    for model, keys in checked.to_create().items():
        listed = ", ".join(keys[:LISTED_KEYS]) + (" …" if len(keys) > LISTED_KEYS else "")
        warnings.append(NEW_KEYS[model](len(keys)) % {"n": len(keys), "keys": listed})
    return warnings


def date_readings(checked: Checked) -> list[str]:
    """How the file's dates were read: for each dated column, its first filled cell and the date it
    means, in the client's zone ("created_at : « 01/12/2026 10:15 » lu comme 1 décembre 2026 10:15")."""
    spec = import_kinds()[checked.kind]
    ctx = checked.context
    readings = []
    for column in spec.dated:
        if column not in checked.header:
            continue
        index = checked.header.index(column)
        raw = next((c[index].strip() for _line, c in checked.rows if index < len(c) and c[index].strip()), "")
        if not raw:
            continue
        try:
            if isinstance(spec.example[column], datetime):
                value = cells.instant(raw, ctx.zone, ctx.first)
                read = formats.date_format(value.astimezone(ctx.zone), "DATETIME_FORMAT")
                zone = str(ctx.zone)
            else:
                read, zone = formats.date_format(cells.day(raw, ctx.first), "DATE_FORMAT"), ""
        except cells.CellError:
            continue  # the row's error says why
        words = {"column": column, "raw": raw, "read": read, "zone": zone}
        if zone:
            readings.append(gettext("%(column)s: “%(raw)s” read as %(read)s (%(zone)s)") % words)
        else:
            readings.append(gettext("%(column)s: “%(raw)s” read as %(read)s") % words)
    return readings


def created_on_the_fly(result: dict) -> list[str]:
    """A finished job's keys created on the fly, by kind of record in words ("campagnes : search-marq")."""
    models = {model._meta.model_name: model for model in NEW_KEYS}
    return [
        gettext("created on the fly (%(model)s): %(keys)s")
        % {"model": models[name]._meta.verbose_name_plural if name in models else name, "keys": ", ".join(keys)}
        for name, keys in (result or {}).get("created_keys", {}).items()
    ]


def kinds_columns() -> list[dict]:
    """Each kind with its required and optional columns, for the upload form."""
    kinds = sorted(import_kinds().values(), key=lambda spec: kind_label(spec.name))
    return [
        {"name": spec.name, "label": kind_label(spec.name), "required": spec.required, "optional": spec.optional}
        for spec in kinds
    ]


def result_counts(result: dict) -> list[str]:
    """A finished job's counts in words ("3 created", "1 updated"), plural forms by language."""
    if not result:
        return []
    created, updated = result.get("created", 0), result.get("updated", 0)
    unchanged, rejected = result.get("unchanged", 0), result.get("rejected_count", 0)
    counts = [
        ngettext("%(n)s row read", "%(n)s rows read", result.get("rows", 0)) % {"n": result.get("rows", 0)},
        ngettext("%(n)s created", "%(n)s created", created) % {"n": created},
        ngettext("%(n)s updated", "%(n)s updated", updated) % {"n": updated},
        ngettext("%(n)s unchanged", "%(n)s unchanged", unchanged) % {"n": unchanged},
    ]
    if rejected:
        counts.append(ngettext("%(n)s row rejected", "%(n)s rows rejected", rejected) % {"n": rejected})
    return counts


def uploader_names(user_ids) -> dict[int, str]:
    """The people who uploaded jobs, by id: their name, or their email when they gave none
    (``User.get_full_name``). One query for a whole page of jobs; users live in the public schema."""
    ids = {pk for pk in user_ids if pk}
    if not ids:
        return {}
    return {user.pk: user.get_full_name() for user in User.objects.filter(pk__in=ids).only("email", "full_name")}


class KindFilter(admin.SimpleListFilter):
    """The list's filter by kind, the kinds by their names rather than their keys."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(((k, kind_label(k)) for k in import_kinds()), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class JobChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # Each job's uploader read once for the page, not once per row.
        self.result_list = list(self.result_list)
        names = uploader_names(job.created_by_id for job in self.result_list)
        for job in self.result_list:
            job.uploader_name = names.get(job.created_by_id)


class UploadForm(forms.Form):
    # A callable: the admin loads before the CRM registers its "leads" kind (LeadsConfig.ready).
    kind = forms.ChoiceField(
        label=_("Kind of data"),
        choices=lambda: sorted(((k, kind_label(k)) for k in import_kinds()), key=lambda choice: choice[1]),
    )
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_(
            "CSV comma or semicolon separated, in UTF-8 or Windows-1252 (French Excel), or XLSX; 50 MB at most."
        ),
    )
    partial = forms.BooleanField(label=_("Write the valid rows and give me back the rejected ones"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


@admin.register(ImportJob, site=tenant_admin_site)
class ImportJobAdmin(TenantModelAdmin):
    list_display = [
        "created_at",
        "kind_name",
        "filename",
        "status",
        "progress",
        "rejected_count",
        "uploaded_by",
        "finished_at",
    ]
    list_filter = [KindFilter, "status"]
    change_form_template = "admin/campaigns/importjob/job.html"
    exclude = ["data", "rejected_csv"]
    readonly_fields = [
        "kind_name",
        "filename",
        "partial",
        "status",
        "phase_name",
        "done",
        "total",
        "result_summary",
        "error_list",
        "rejected_count",
        "uploaded_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    fields = readonly_fields

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, job: ImportJob) -> str:
        return kind_label(job.kind)

    @admin.display(description=_("progress"))
    def progress(self, job: ImportJob) -> str:
        return f"{job.percent} %"

    @admin.display(description=_("uploaded by"))
    def uploaded_by(self, job: ImportJob) -> str:
        if not job.created_by_id:
            return "-"
        if not hasattr(job, "uploader_name"):  # the job's own page: the list reads them all at once
            job.uploader_name = uploader_names([job.created_by_id]).get(job.created_by_id)
        # A deleted account leaves its id only.
        return job.uploader_name or gettext("a former user")

    def get_changelist(self, request, **kwargs):
        return JobChangeList

    @admin.display(description=_("phase"))
    def phase_name(self, job: ImportJob) -> str:
        return str(PHASES.get(job.phase, job.phase)) or "-"

    @admin.display(description=_("result"))
    def result_summary(self, job: ImportJob) -> str:
        # The counts in words, not the stored JSON.
        return ", ".join(result_counts(job.result)) or "-"

    @admin.display(description=_("errors"))
    def error_list(self, job: ImportJob) -> str:
        if not job.errors:
            return "-"
        return format_html_join("", "<div>{}</div>", ((e,) for e in job.errors))

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data", "rejected_csv")

    def has_change_permission(self, request, obj=None):
        return False  # jobs are records; the view page shows them

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="campaigns_importjob_upload"),
            path(
                "<int:pk>/confirm/", self.admin_site.admin_view(self.confirm_view), name="campaigns_importjob_confirm"
            ),
            path(
                "template/<slug:kind>.<slug:fmt>",
                self.admin_site.admin_view(self.template_view),
                name="campaigns_importjob_template",
            ),
            path(
                "<int:pk>/rejected.csv",
                self.admin_site.admin_view(self.rejected_view),
                name="campaigns_importjob_rejected",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("tenant_admin:campaigns_importjob_upload"))

    def upload_view(self, request):
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    kind=form.cleaned_data["kind"],
                    data=upload.read(),
                    filename=upload.name,
                    partial=form.cleaned_data["partial"],
                    by=request.user,
                    queue=False,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self._reject_if_refused(job)
                return HttpResponseRedirect(reverse("tenant_admin:campaigns_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Import a file"),
            "kinds_columns": kinds_columns(),
        }
        return TemplateResponse(request, "admin/campaigns/importjob/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, unquote(object_id))
        if job is None:  # no such job, or an id that is not a number: the admin's usual "does not exist"
            return super().change_view(request, object_id, form_url, extra_context)
        extra = {
            **(extra_context or {}),
            "job": job,
            "kind_label": kind_label(job.kind),
            "result_counts": result_counts(job.result) + created_on_the_fly(job.result),
            "error_count": job.rejected_count or len(job.errors),
        }
        if job.status == ImportJob.Status.DRAFT:
            extra.update(self._preview(job))
        return super().change_view(request, object_id, form_url, extra)

    def _reject_if_refused(self, job: ImportJob) -> None:
        """A file the check refuses whole can never be confirmed: the job says so (rejected, with its
        errors) instead of waiting for a confirmation that cannot come."""
        preview = self._preview(job)
        if not preview["preview_refused"]:
            return
        errors = preview["preview_errors"]
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.DRAFT).update(
            status=ImportJob.Status.REJECTED,
            errors=errors,
            rejected_count=preview.get("preview_error_count", len(errors)),
            finished_at=timezone.now(),
        )

    def _preview(self, job: ImportJob) -> dict:
        try:
            checked = import_check(kind=job.kind, data=bytes(job.data))
        except ImportRejected as exc:
            return {"preview_errors": exc.errors, "preview_error_count": exc.total, "preview_refused": True}
        except DomainError as exc:
            return {"preview_errors": [exc.message], "preview_error_count": 1, "preview_refused": True}
        return {
            "preview_header": checked.header,
            "preview_rows": [cells for _line, cells in checked.rows[:PREVIEW_ROWS]],
            "preview_total": len(checked.rows),
            "preview_errors": checked.errors[:100],
            "preview_error_count": len(checked.errors),
            "preview_warnings": checked.warnings,
            "preview_new_keys": new_keys_warnings(checked),
            "preview_readings": date_readings(checked),
            "preview_refused": bool(checked.errors) and not job.partial,
        }

    def confirm_view(self, request, pk: int):
        job = get_object_or_404(ImportJob.objects.defer("data"), pk=pk, status=ImportJob.Status.DRAFT)
        if request.method == "POST":
            if import_job_queue(job=job).failed:
                message = _("The queue cannot be reached right now: the import is saved and starts once it is back.")
                self.message_user(request, message, messages.WARNING)
            else:
                message = _("The import is queued; this page follows its progress.")
                self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("tenant_admin:campaigns_importjob_change", args=[pk]))

    def template_view(self, request, kind: str, fmt: str):
        """A kind's template, in the client's format (its language decides: cells.day_first)."""
        spec = import_kinds().get(kind)
        if spec is None or fmt not in FORMATS:
            raise Http404
        first = cells.day_first(client_language(connection.tenant))
        response = HttpResponse(template_file(spec, fmt, first=first), content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
        return response

    def rejected_view(self, request, pk: int):
        job = get_object_or_404(ImportJob.objects.only("rejected_csv", "kind"), pk=pk)
        response = HttpResponse(job.rejected_csv, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="rejected-{job.kind}-{job.pk}.csv"'
        return response
