"""The Notifications list: each user sees their own (platform staff see all), marks them read or
unread, opens them. Nobody adds or edits one here: they are written by the events."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from unfold.decorators import display

from admin_ext.display import excerpt
from admin_ext.permissions import ReadOnlyRecordAdmin
from admin_ext.tenant_admin import TenantModelAdmin
from notifications import services
from notifications.models import Notification


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", _("Unread")), ("yes", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyRecordAdmin, TenantModelAdmin):
    list_display = ["title", "text", "kind", "created_at", "read_label", "open_link"]
    list_filter = [ReadFilter, "kind"]
    list_select_related = ["user"]
    search_fields = ["title"]
    ordering = ["-created_at"]
    actions = ["mark_selected_read", "mark_selected_unread"]
    fields = ["kind", "title", "body", "link", "created_at", "read_at", "user"]

    def get_list_display(self, request):
        if request.user.is_superuser:
            # Staff see everyone's: whose it is instead of "Open" (which opens one's own only).
            return [*self.list_display[:-1], "user", "tenant"]
        return self.list_display

    @display(description=_("text"))
    def text(self, obj):
        return excerpt(obj.body)

    @display(description=_("read"), label={True: "success", False: "warning"})
    def read_label(self, obj):
        return obj.is_read, _("Read") if obj.is_read else _("Unread")

    @display(description="")
    def open_link(self, obj):
        if not obj.link:
            return ""
        return format_html(
            '<a class="text-primary-600 underline" href="{}">{}</a>',
            reverse("notifications:open", args=[obj.pk]),
            pgettext_lazy("open a notification", "Open"),
        )

    @admin.action(description=_("Mark selected as read"), permissions=["view"])
    def mark_selected_read(self, request, queryset):
        marked = services.mark_read(request.user, queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%d notification marked read.", "%d notifications marked read.", marked)
            % marked,
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected as unread"), permissions=["view"])
    def mark_selected_unread(self, request, queryset):
        marked = services.mark_unread(request.user, queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%d notification marked unread.", "%d notifications marked unread.", marked)
            % marked,
            messages.SUCCESS,
        )
