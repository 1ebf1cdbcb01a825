"""Admin for the raw webhook event log: read it, and replay events through inbound processing."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action

from accounts.models import Role
from admin_ext.display import excerpt, pretty_json, status_badge
from admin_ext.paginators import CappedCountPaginator
from admin_ext.permissions import ReadOnlyRecordAdmin
from admin_ext.tenant_admin import TenantModelAdmin
from whatsapp import inbound
from whatsapp.models import WebhookEvent
from whatsapp.webhook_config import EVENTS


class EventNameFilter(admin.SimpleListFilter):
    """The events Alrea subscribes to: the stock filter would run DISTINCT over the whole log."""

    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(name, name) for name in EVENTS]

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyRecordAdmin, TenantModelAdmin):
    list_display = [
        "received_at",
        "instance",
        "event",
        "status_label",
        "deliveries",
        "error_excerpt",
        "tenant",
    ]
    list_filter = [
        "tenant",
        "instance",
        EventNameFilter,
        "status",
        ("received_at", RangeDateFilter),
    ]
    list_filter_submit = True
    list_select_related = ["instance", "tenant"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = ["pretty_payload"]
    fields = [
        "tenant",
        "instance",
        "event",
        "status",
        "error",
        "received_at",
        "processed_at",
        "deliveries",
        "waits_for",
        "pretty_payload",
    ]
    actions = ["replay_selected"]
    actions_detail = ["replay_one"]

    status_label = status_badge(
        {
            WebhookEvent.Status.PROCESSED: "success",
            WebhookEvent.Status.DEFERRED: "warning",
            WebhookEvent.Status.FAILED: "danger",
        }
    )

    @admin.display(description=_("error"))
    def error_excerpt(self, obj):
        return excerpt(obj.error)

    @admin.display(description=_("payload"))
    def pretty_payload(self, obj):
        return pretty_json(obj.payload)

    def has_replay_permission(self, request, object_id=None):
        # Replaying writes messages into every department: the tenant's administrators only.
        user = request.user
        return user.is_superuser or (
            user.role == Role.ADMIN and user.has_perm("whatsapp.view_webhookevent")
        )

    def get_actions_detail(self, request, object_id):
        # replay_one checks its permission itself (after the 404), so unfold cannot hide it.
        if not self.has_replay_permission(request):
            return []
        return super().get_actions_detail(request, object_id)

    def _replay(self, request, events):
        result = inbound.replay(events)
        self.message_user(
            request,
            _(
                "Replayed: %(processed)d processed, %(waiting)d waiting for their message, "
                "%(failed)d failed."
            )
            % {"processed": result.processed, "waiting": result.waiting, "failed": result.failed},
            messages.WARNING if result.failed else messages.SUCCESS,
        )

    @admin.action(description=_("Replay selected events"), permissions=["replay"])
    def replay_selected(self, request, queryset):
        self._replay(request, queryset.order_by("received_at"))

    @action(description=_("Replay"), url_path="replay", icon="replay")
    def replay_one(self, request, object_id):
        # The object first: another tenant's event is a 404 whatever the persona's role.
        event = self.get_object(request, object_id)
        if not self.has_replay_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return TemplateResponse(
                request,
                "admin/whatsapp/webhookevent/replay.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Replay this event?"),
                    "event": event,
                    "original": event,
                },
            )
        self._replay(request, [event])
        return redirect("admin:whatsapp_webhookevent_change", event.pk)
