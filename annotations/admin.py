"""Notes in the client admin, through the same field rule as the API and the dashboard."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from annotations import services
from annotations.models import Annotation
from config.errors import DomainError
from tenants.tenant_admin import TenantModelAdmin, tenant_admin_site


class AnnotationForm(forms.ModelForm):
    # Presence and length are the rule's to refuse, in its words (the form's own would answer first).
    start = forms.DateField(label=_("start day"), required=False)
    text = forms.CharField(label=_("text"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Annotation
        fields = ["start", "end", "text", "channel", "campaign"]

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned.get(name, getattr(self.instance, name, None)) for name in self.Meta.fields}
        if self.errors:  # a date Django could not read: its own message, nothing more to check
            return cleaned
        try:
            cleaned.update(services.annotation_fields_check(**values))
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


@admin.register(Annotation, site=tenant_admin_site)
class AnnotationAdmin(TenantModelAdmin):
    form = AnnotationForm
    list_display = ["start", "end", "text", "channel", "campaign", "author"]
    list_filter = ["channel", "campaign"]
    search_fields = ["text"]
    date_hierarchy = "start"
    list_select_related = ["channel", "campaign", "author"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in AnnotationForm.Meta.fields}
        if change:
            services.annotation_update(obj, **fields)
            return
        note = services.annotation_create(**fields, author=request.user)
        obj.pk, obj.author, obj.created_at, obj.updated_at = note.pk, note.author, note.created_at, note.updated_at

    def delete_model(self, request, obj):
        services.annotation_delete(obj)
