"""Admin of campaigns and their recipients.

Glue only: every state change is a ``campaigns.services`` call, from a button on the change
page or a list action, and its refusal (``ValidationError``, ``CampaignStateError``) becomes a
message. The change page opens with a live panel fed by the campaign's websocket
(``campaigns.sockets``), or polling ``<id>/live/`` (JSON) every two seconds while the socket is
down; the form has a preview of the first variation (``preview/``, JSON).
"""

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline

from admin_ext.buttons import ObjectButtonsMixin
from admin_ext.display import status_badge
from admin_ext.paginators import CappedCountPaginator
from admin_ext.permissions import ReadOnlyRecordAdmin
from admin_ext.tenant_admin import TenantChoicesMixin, TenantModelAdmin
from alrea.phones import format_phone, normalize_phone
from campaigns import admin_live, exporting, rendering, services
from campaigns.forms import CampaignForm, ScheduleForm, TestSendForm, VariationFormSet
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from contacts.models import Contact
from tenancy.models import Tenant

S = Campaign.Status
CLOSED = (S.COMPLETED, S.CANCELLED)
STATUS_COLOURS = {
    S.DRAFT: "info",
    S.SCHEDULED: "info",
    S.RUNNING: "success",
    S.PAUSED: "warning",
    S.CANCELLED: "danger",
}
RECIPIENT_COLOURS = {
    CampaignRecipient.Status.SENT: "info",
    CampaignRecipient.Status.DELIVERED: "info",
    CampaignRecipient.Status.READ: "success",
    CampaignRecipient.Status.REPLIED: "success",
    CampaignRecipient.Status.FAILED: "danger",
    CampaignRecipient.Status.SKIPPED: "warning",
}
# Which buttons a campaign in each status offers (the services refuse the others anyway).
BUTTONS = {
    S.DRAFT: ("start", "schedule", "cancel", "test_send"),
    S.SCHEDULED: ("start", "schedule", "cancel", "test_send"),
    S.RUNNING: ("pause", "cancel", "test_send"),
    S.PAUSED: ("resume", "cancel", "test_send"),
    S.COMPLETED: (),
    S.CANCELLED: (),
}


class VariationInline(TenantChoicesMixin, StackedInline):
    model = CampaignMessage
    formset = VariationFormSet
    fields = ["order", "body", "media_url", "media_file", "times_used"]
    readonly_fields = ["times_used"]
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None and obj.variations.exists() else 1

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None and obj.status in CLOSED else self.readonly_fields

    def has_add_permission(self, request, obj=None):
        closed = obj is not None and obj.status in CLOSED
        return not closed and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        closed = obj is not None and obj.status in CLOSED
        return not closed and super().has_delete_permission(request, obj)


@admin.register(Campaign)
class CampaignAdmin(ObjectButtonsMixin, TenantModelAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "status_column",
        "progress",
        "department",
        "created_by",
        "created_at",
        "tenant",
    ]
    list_filter = ["tenant", "status", "department"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()  # the progress column

    list_select_related = ["tenant", "department", "created_by"]
    search_fields = ["name"]
    inlines = [VariationInline]
    actions = ["start_selected", "pause_selected", "resume_selected", "cancel_selected"]
    change_form_outer_before_template = "admin/campaigns/campaign/live_panel.html"
    change_form_outer_after_template = "admin/campaigns/campaign/preview.html"
    status_fields = ["status", "status_reason", "scheduled_at", "started_at", "finished_at"]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "description", "department"]}),
        (
            _("Numbers and pace"),
            {
                "fields": [
                    "instances",
                    "rotation",
                    "interval_min",
                    "interval_max",
                    "daily_limit_per_instance",
                    "min_health",
                    "typing_presence",
                ]
            },
        ),
        (_("Sending window"), {"fields": ["window_days", "window_start", "window_end"]}),
        (_("Audience"), {"fields": ["audience_tags", "audience_lists", "audience_filter"]}),
        (_("Status"), {"fields": [*status_fields, "created_by"]}),
    ]

    status_column = status_badge(STATUS_COLOURS)

    @admin.display(description=_("progress"))
    def progress(self, obj):
        waiting = obj.pending_count + obj.queued_count + obj.sending_count
        return f"{obj.total - waiting} / {obj.total}"

    # --- the form -----------------------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else fieldsets[:-1]  # no status before it exists

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status in CLOSED:
            # A finished campaign is a record: only its copy can be changed.
            return [f for _title, opts in self.fieldsets for f in opts["fields"]]
        return [*self.status_fields, "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # --- deleting -----------------------------------------------------------------------
    def has_delete_permission(self, request, obj=None):
        # The engine may be sending for a running or paused one: cancel it first.
        sending = obj is not None and obj.status in (S.RUNNING, S.PAUSED)
        return not sending and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.exclude(status__in=(S.RUNNING, S.PAUSED)))

    def get_deleted_objects(self, objs, request):
        # Recipients are part of their campaign (nobody deletes one alone): no permission of
        # their own is needed to delete them with it.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(CampaignRecipient._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            may_change = self.has_change_permission(request, obj)
            context.update(
                live=admin_live.payload(obj),
                buttons=BUTTONS[obj.status] if may_change else (),
                may_duplicate=may_change and self.has_add_permission(request),
                schedule_form=ScheduleForm(),
                test_send_form=TestSendForm(),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- list actions -------------------------------------------------------------------
    def _run_each(self, request, queryset, run, done):
        """``run(campaign, by=user)`` for each; ``done(n)`` says how many succeeded."""
        succeeded = 0
        for campaign in queryset:
            try:
                run(campaign, by=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"{campaign}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done(succeeded) % {"n": succeeded}, messages.SUCCESS)

    @admin.action(description=_("Start the selected campaigns"), permissions=["change"])
    def start_selected(self, request, queryset):
        self._run_each(
            request,
            queryset,
            services.start,
            lambda n: ngettext("%(n)s campaign started.", "%(n)s campaigns started.", n),
        )

    @admin.action(description=_("Pause the selected campaigns"), permissions=["change"])
    def pause_selected(self, request, queryset):
        self._run_each(
            request,
            queryset,
            services.pause,
            lambda n: ngettext("%(n)s campaign paused.", "%(n)s campaigns paused.", n),
        )

    @admin.action(description=_("Resume the selected campaigns"), permissions=["change"])
    def resume_selected(self, request, queryset):
        self._run_each(
            request,
            queryset,
            services.resume,
            lambda n: ngettext("%(n)s campaign resumed.", "%(n)s campaigns resumed.", n),
        )

    @admin.action(description=_("Cancel the selected campaigns"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        self._run_each(
            request,
            queryset,
            services.cancel,
            lambda n: ngettext("%(n)s campaign cancelled.", "%(n)s campaigns cancelled.", n),
        )

    # --- buttons, the live JSON, the preview and the exports --------------------------------
    def get_urls(self):
        def route(suffix, view):
            return path(
                f"<path:object_id>/{suffix}/",
                self.admin_site.admin_view(view),
                name=f"campaigns_campaign_{suffix.replace('-', '_')}",
            )

        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="campaigns_campaign_preview",
            ),
            route("live", self.live_view),
            route("start", self.start_view),
            route("schedule", self.schedule_view),
            route("pause", self.pause_view),
            route("resume", self.resume_view),
            route("cancel", self.cancel_view),
            route("duplicate", self.duplicate_view),
            route("test-send", self.test_send_view),
            route("export-csv", self.export_csv_view),
            route("export-xlsx", self.export_xlsx_view),
            *super().get_urls(),
        ]

    def _viewable(self, request, object_id) -> Campaign:
        campaign = self.get_object(request, object_id)  # 404 for what the user may not see
        if not self.has_view_or_change_permission(request, campaign):
            raise PermissionDenied
        return campaign

    def start_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda campaign: services.start(campaign, by=request.user),
            gettext("The campaign started."),
        )

    def schedule_view(self, request, object_id):
        def run(campaign):
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.schedule(campaign, form.cleaned_data["when"], by=request.user)

        return self.object_button(request, object_id, run, gettext("The campaign is scheduled."))

    def pause_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda campaign: services.pause(campaign, by=request.user),
            gettext("The campaign is paused; nothing more is sent until you resume it."),
        )

    def resume_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda campaign: services.resume(campaign, by=request.user),
            gettext("The campaign resumed."),
        )

    def cancel_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda campaign: services.cancel(campaign, by=request.user),
            gettext("The campaign was cancelled."),
        )

    def test_send_view(self, request, object_id):
        def run(campaign):
            form = TestSendForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.test_send(campaign, form.cleaned_data["phone"], by=request.user)

        return self.object_button(request, object_id, run, gettext("The test message was sent."))

    def duplicate_view(self, request, object_id):
        campaign = self.get_object(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_change_permission(request, campaign) and self.has_add_permission(request)):
            raise PermissionDenied
        copy = services.duplicate(campaign, by=request.user)
        self.message_user(request, gettext("This is a copy, saved as a draft."), messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(copy))

    def live_view(self, request, object_id):
        return JsonResponse(admin_live.payload(self._viewable(request, object_id)))

    def export_csv_view(self, request, object_id):
        campaign = self._viewable(request, object_id)
        response = StreamingHttpResponse(
            exporting.csv_chunks(exporting.rows(campaign)), content_type="text/csv"
        )
        name = exporting.filename(campaign, "csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def export_xlsx_view(self, request, object_id):
        campaign = self._viewable(request, object_id)
        return FileResponse(
            exporting.xlsx_file(exporting.rows(campaign)),
            as_attachment=True,
            filename=exporting.filename(campaign, "xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def preview_view(self, request):
        """GET ``text`` (and, for staff, ``tenant``): the text as a sample contact of the company
        would receive it now, or why it cannot be sent."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        tenant = request.user.tenant if not request.user.is_superuser else None
        if tenant is None:
            tenant = Tenant.objects.filter(pk=request.GET.get("tenant") or None).first()
        if tenant is None:
            return JsonResponse({"text": "", "contact": "", "error": gettext("Choose a company.")})
        text = request.GET.get("text", "")
        contact = Contact.objects.for_tenant(tenant).filter(opted_out=False).order_by(
            "created_at"
        ).first() or Contact(tenant=tenant)
        try:
            rendering.validate(text, tenant)
            rendered, error = rendering.preview(text, contact), ""
        except ValidationError as failure:
            rendered, error = "", " ".join(failure.messages)
        return JsonResponse(
            {"text": rendered, "contact": str(contact) if contact.pk else "", "error": error}
        )


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(ReadOnlyRecordAdmin, TenantModelAdmin):
    list_display = [
        "contact",
        "phone",
        "campaign",
        "status_column",
        "skip_reason",
        "instance",
        "attempts",
        "sent_at",
        "tenant",
    ]
    list_filter = ["tenant", "campaign", "status", "skip_reason", "instance"]
    list_select_related = ["contact", "campaign", "instance", "tenant"]
    search_fields = ["contact__phone"]
    search_help_text = _("Phone number")
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = [
        "tenant",
        "campaign",
        "contact",
        "status",
        "skip_reason",
        "instance",
        "variation",
        "provider_id",
        "attempts",
        "last_error",
        "queued_at",
        "claimed_at",
        "sent_at",
        "delivered_at",
        "read_at",
        "replied_at",
        "failed_at",
        "skipped_at",
    ]
    readonly_fields = fields

    status_column = status_badge(RECIPIENT_COLOURS)

    @admin.display(description=_("phone"))
    def phone(self, obj):
        return format_phone(obj.contact.phone)

    def get_queryset(self, request):
        recipients = super().get_queryset(request)
        if request.user.is_superuser:
            return recipients
        # Recipients of the campaigns the user may see (a manager: their departments' ones).
        return recipients.filter(campaign__in=Campaign.objects.visible_to(request.user))

    def get_search_results(self, request, queryset, search_term):
        """A phone typed any way finds its contact: the exact number when it is one (indexed),
        else the digits typed anywhere in it."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(contact__phone=normalize_phone(term)), False
        except ValidationError:
            digits = re.sub(r"\D", "", term)
            if not digits:
                return queryset.none(), False
            return queryset.filter(contact__phone__contains=digits), False
