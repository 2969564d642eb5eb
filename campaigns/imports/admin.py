"""Imports in the client's admin: upload, preview of the first rows with the validation result,
confirm, then follow the worker's progress."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from campaigns.imports.jobs import import_job_create, import_job_queue
from campaigns.imports.runner import ImportRejected, import_check, import_kinds
from campaigns.models import ImportJob
from config.errors import DomainError
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site

PREVIEW_ROWS = 10


class UploadForm(forms.Form):
    # A callable: the admin loads before the CRM registers its "leads" kind (LeadsConfig.ready).
    kind = forms.ChoiceField(label=_("Kind of data"), choices=lambda: [(k, k) for k in sorted(import_kinds())])
    file = forms.FileField(label=_("File (CSV, comma or semicolon separated)"))
    partial = forms.BooleanField(label=_("Write the valid rows and give me back the rejected ones"), required=False)


@admin.register(ImportJob, site=tenant_admin_site)
class ImportJobAdmin(TenantModelAdmin):
    list_display = ["created_at", "kind", "filename", "status", "percent", "rejected_count", "finished_at"]
    list_filter = ["kind", "status"]
    change_form_template = "admin/campaigns/importjob/job.html"
    exclude = ["data", "rejected_csv"]
    readonly_fields = [
        "kind",
        "filename",
        "partial",
        "status",
        "phase",
        "done",
        "total",
        "result",
        "errors",
        "rejected_count",
        "created_by_id",
        "created_at",
        "started_at",
        "finished_at",
    ]

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
                return HttpResponseRedirect(reverse("tenant_admin:campaigns_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Import a file"),
        }
        return TemplateResponse(request, "admin/campaigns/importjob/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, unquote(object_id))
        if job is None:  # no such job, or an id that is not a number: the admin's usual "does not exist"
            return super().change_view(request, object_id, form_url, extra_context)
        extra = {**(extra_context or {}), "job": job}
        if job.status == ImportJob.Status.DRAFT:
            extra.update(self._preview(job))
        return super().change_view(request, object_id, form_url, extra)

    def _preview(self, job: ImportJob) -> dict:
        try:
            checked = import_check(kind=job.kind, data=bytes(job.data))
        except ImportRejected as exc:
            return {"preview_errors": exc.errors, "preview_refused": True}
        except DomainError as exc:
            return {"preview_errors": [exc.message], "preview_refused": True}
        return {
            "preview_header": checked.header,
            "preview_rows": [cells for _line, cells in checked.rows[:PREVIEW_ROWS]],
            "preview_total": len(checked.rows),
            "preview_errors": checked.errors[:100],
            "preview_error_count": len(checked.errors),
            "preview_warnings": checked.warnings,
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

    def rejected_view(self, request, pk: int):
        job = get_object_or_404(ImportJob.objects.only("rejected_csv", "kind"), pk=pk)
        response = HttpResponse(job.rejected_csv, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="rejected-{job.kind}-{job.pk}.csv"'
        return response
