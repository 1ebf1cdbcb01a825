"""Admin pages of spreadsheet imports and exports.

An import is created by uploading a file (the add page); its own page then shows the columns
as guessed (adjustable), a dry-run preview of what would happen to every row, and the button
that starts it; while it runs the page shows its progress, afterwards the counts and the file
of rejected rows. An export page shows progress and then the download.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from admin_ext.tenant_admin import TenantModelAdmin
from contacts import importing, jobs
from contacts.models import ContactExport, ContactImport, ContactList


class UploadForm(forms.ModelForm):
    class Meta:
        model = ContactImport
        fields = ["tenant", "file", "update_existing", "tag_names", "contact_list"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.table = importing.read_table(upload, upload.name)
        except importing.SpreadsheetError as error:
            raise ValidationError(error.message) from None
        upload.seek(0)
        return upload


OUTCOME_LABELS = {
    "new": _("new"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "skipped": _("skipped"),
    "invalid": _("invalid"),
    "duplicate": _("duplicate"),
}


class MappingForm(forms.ModelForm):
    """The import's options, and one choice per column of the file: which contact field it
    fills. Both can change until the import is confirmed."""

    class Meta:
        model = ContactImport
        fields = ["update_existing", "tag_names", "contact_list"]
        widgets = {
            "update_existing": UnfoldBooleanSwitchWidget,
            "tag_names": UnfoldAdminTextInputWidget,
            "contact_list": UnfoldAdminSelectWidget,
        }

    def __init__(self, *args, header, **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        self.fields["contact_list"].queryset = ContactList.objects.for_tenant(
            self.instance.tenant_id
        )
        for index, title in enumerate(header):
            current = self.instance.mapping.get(str(index), "ignore")
            choices = list(importing.TARGET_LABELS.items())
            custom = (
                current
                if current.startswith("custom:")
                else f"custom:{importing.custom_key(title)}"
            )
            choices.append((custom, _("Custom field “%(key)s”") % {"key": custom[7:]}))
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=title or _("(no title)"),
                choices=choices,
                initial=current,
                widget=UnfoldAdminSelectWidget,
            )

    def clean(self):
        cleaned = super().clean()
        try:
            importing.validate_mapping(self.mapping(), self.header)
        except importing.SpreadsheetError as error:
            raise ValidationError(error.message) from None
        return cleaned

    def mapping(self) -> dict[int, str]:
        return {
            int(name.removeprefix("column_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("column_")
        }

    def save(self, commit=True):
        self.instance.mapping = {str(k): v for k, v in self.mapping().items()}
        return super().save(commit)


class DownloadsMixin:
    """Files of a job are served through the admin (tenant and permission checked), never from
    a public media URL that anyone holding the link could open."""

    download_field = "file"

    def get_urls(self):
        opts = self.model._meta
        download = path(
            "<path:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name=f"{opts.app_label}_{opts.model_name}_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request, object_id):
        job = self.get_object(request, object_id)  # 404 for another tenant's job
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        stored = getattr(job, self.download_field)
        if not stored:
            raise Http404
        return FileResponse(
            stored.open("rb"), as_attachment=True, filename=stored.name.rsplit("/", 1)[-1]
        )


@admin.register(ContactImport)
class ContactImportAdmin(DownloadsMixin, TenantModelAdmin):
    download_field = "rejected_file"
    list_display = ["filename", "status", "summary", "created_by", "created_at", "tenant"]
    list_filter = ["tenant", "status"]
    list_select_related = ["tenant", "created_by"]
    form = UploadForm
    fields = ["tenant", "file", "update_existing", "tag_names", "contact_list"]

    @admin.display(description=_("result"))
    def summary(self, obj):
        return ", ".join(f"{OUTCOME_LABELS[status]}: {n}" for status, n in obj.counts.items() if n)

    def save_model(self, request, obj, form, change):
        obj.filename = form.cleaned_data["file"].name
        obj.total_rows = form.table.total_rows
        obj.mapping = {str(k): v for k, v in importing.guess_mapping(form.table.header).items()}
        obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return redirect("admin:contacts_contactimport_change", obj.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)  # 404 for another tenant's import
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(job),
            "job": job,
            "original": job,
            "counts": [(OUTCOME_LABELS[status], n) for status, n in job.counts.items()],
        }
        if job.status == job.Status.UPLOADED:
            try:
                header = jobs.read(job).header
            except importing.SpreadsheetError as error:  # the stored file is gone or damaged
                context["read_error"] = error.message
                return TemplateResponse(request, "admin/contacts/contactimport/job.html", context)
            form = MappingForm(request.POST or None, instance=job, header=header)
            if request.method == "POST":
                if not self.has_change_permission(request, job):
                    raise PermissionDenied
                if form.is_valid():
                    job = form.save()
                    if "_start" in request.POST:
                        jobs.start(job, jobs.run_import_job)
                        messages.success(request, _("Import started."))
                        return redirect("admin:contacts_contactimport_change", job.pk)
                    if "_preview" not in request.POST:
                        messages.success(request, _("Columns saved."))
                        return redirect("admin:contacts_contactimport_change", job.pk)
                    report = jobs.preview(job)
                    context["report"] = report
                    context["counts"] = [
                        (OUTCOME_LABELS[status], n) for status, n in report.counts.items()
                    ]
                    context["rows"] = [(row, OUTCOME_LABELS[row.status]) for row in report.preview]
            context["form"] = form
        return TemplateResponse(request, "admin/contacts/contactimport/job.html", context)


@admin.register(ContactExport)
class ContactExportAdmin(DownloadsMixin, TenantModelAdmin):
    list_display = ["__str__", "status", "total_rows", "created_by", "created_at", "tenant"]
    list_filter = ["tenant", "status", "format"]
    list_select_related = ["tenant", "created_by"]

    def has_add_permission(self, request):
        return False  # exports start from the contacts list

    def has_change_permission(self, request, obj=None):
        return False  # a finished export is a record; its page only shows it

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/contacts/contactexport/job.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": str(job),
                "job": job,
                "original": job,
            },
        )
