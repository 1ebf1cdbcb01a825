"""Admin for WhatsApp instances and Evolution servers.

Glue only: every state change is a ``whatsapp.services`` call. The change page shows a
connection panel whose QR code refreshes itself by polling ``<id>/connection/`` (JSON) until the
number is connected.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.widgets import UnfoldAdminPasswordWidget

from admin_ext.buttons import ObjectButtonsMixin
from admin_ext.permissions import SuperuserOnlyAdmin
from admin_ext.tenant_admin import TenantModelAdmin
from alrea.phones import format_phone
from whatsapp import health, services
from whatsapp.models import (
    ConnectionLogEntry,
    ConnectionState,
    EvolutionServer,
    InstanceDailyStats,
    ServerAssignment,
    WhatsAppInstance,
)

STATE_COLOURS = {
    ConnectionState.OPEN: "success",
    ConnectionState.CONNECTING: "warning",
    ConnectionState.CLOSE: "danger",
    ConnectionState.REFUSED: "danger",
}


class InstanceAddForm(forms.ModelForm):
    """Creates the instance (on Evolution too) while it validates, so a refusal (plan limit,
    server down) shows on the form with everything typed still there."""

    by = None  # the user adding, set per request

    class Meta:
        model = WhatsAppInstance
        fields = ["tenant", "name", "default_department", "daily_send_limit"]

    def validate_unique(self):
        # create_instance validates the row, the unique name included, before it saves it.
        pass

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.instance = services.create_instance(
                cleaned.get("tenant") or self.admin_tenant,
                cleaned["name"],
                default_department=cleaned.get("default_department"),
                daily_send_limit=cleaned.get("daily_send_limit"),
                by=self.by,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


class ConnectionLogInline(TabularInline):
    model = ConnectionLogEntry
    fields = ["at", "state", "reason", "detail"]
    readonly_fields = fields
    ordering = ["-at"]
    per_page = 10
    extra = 0
    can_delete = False
    verbose_name_plural = _("connection log")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _today_counter(name):
    return Subquery(
        InstanceDailyStats.objects.filter(instance=OuterRef("pk"), day=timezone.localdate())
        .order_by()
        .values(name)[:1]
    )


@admin.register(WhatsAppInstance)
class WhatsAppInstanceAdmin(ObjectButtonsMixin, TenantModelAdmin):
    list_display = ["name", "state_badge", "phone", "health_score", "today", "tenant"]
    list_filter = ["tenant", "state", "is_active"]
    list_select_related = ["tenant"]
    search_fields = ["name", "phone_number", "profile_name"]
    inlines = [ConnectionLogInline]
    change_form_outer_before_template = "admin/whatsapp/whatsappinstance/connection_panel.html"
    add_fieldsets = [
        (None, {"fields": ["tenant", "name", "default_department", "daily_send_limit"]})
    ]
    fieldsets = [
        (
            None,
            {"fields": ["tenant", "name", "default_department", "daily_send_limit", "is_active"]},
        ),
        (
            _("Connection"),
            {
                "fields": [
                    "connection_state",
                    "phone",
                    "profile_name",
                    "state_changed_at",
                    "evolution_name",
                    "server",
                ]
            },
        ),
        (_("Health"), {"fields": ["health_score", "consecutive_errors", "today"]}),
    ]
    connection_fields = [
        "connection_state",
        "phone",
        "profile_name",
        "state_changed_at",
        "evolution_name",
        "server",
        "health_score",
        "consecutive_errors",
        "today",
    ]
    staff_only_fields = {"server", "evolution_name"}

    # --- pages --------------------------------------------------------------------------
    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(**{f"today_{name}": _today_counter(name) for name in health.COUNTERS})
        )

    def get_fieldsets(self, request, obj=None):
        hidden = set() if request.user.is_superuser else {"tenant", *self.staff_only_fields}
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for title, options in (self.fieldsets if obj else self.add_fieldsets)
        ]

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        # Each deletion calls the WhatsApp server and may fail on its own: one at a time.
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        return ["tenant", *self.connection_fields] if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InstanceAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        return form if obj else type(form.__name__, (form,), {"by": request.user})

    def save_model(self, request, obj, form, change):
        if change:  # a new instance was saved by services.create_instance in the form
            super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        if IS_POPUP_VAR in request.POST or "_addanother" in request.POST:
            return response
        return HttpResponseRedirect(self.change_url(obj))  # where the QR code is

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["instance_phone"] = format_phone(obj.phone_number)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def delete_model(self, request, obj):
        services.delete_instance(obj, by=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except services.InstanceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self.change_url(object_id))

    def state_badge(self, obj):
        return obj.state, obj.get_state_display()

    # unfold draws a label display as a badge in lists only; the change page gets plain text.
    @admin.display(description=_("connection"))
    def connection_state(self, obj):
        if obj.state_reason and obj.state != ConnectionState.OPEN:
            return _("%(state)s (reason %(reason)s)") % {
                "state": obj.get_state_display(),
                "reason": obj.state_reason,
            }
        return obj.get_state_display()

    @admin.display(description=_("phone number"))
    def phone(self, obj):
        return format_phone(obj.phone_number) or "—"

    @admin.display(description=_("today"))
    def today(self, obj):
        counts = {name: getattr(obj, f"today_{name}", None) or 0 for name in health.COUNTERS}
        return (
            gettext("%(sent)s sent · %(delivered)s delivered · %(read)s read · %(failed)s failed")
            % counts
        )

    # --- connection buttons and the panel's JSON --------------------------------------------
    def get_urls(self):
        def route(suffix, view):
            return path(
                f"<path:object_id>/{suffix}/",
                self.admin_site.admin_view(view),
                name=f"whatsapp_whatsappinstance_{suffix}",
            )

        return [
            route("connection", self.connection_view),
            route("connect", self.connect_view),
            route("logout", self.logout_view),
            route("webhook", self.webhook_view),
            *super().get_urls(),
        ]

    def connection_view(self, request, object_id):
        """GET: the state (asked from Evolution) and, while connecting, the QR code to show."""
        instance = self.get_object(request, object_id)  # 404 for someone else's
        if not self.has_view_permission(request, instance):
            raise PermissionDenied
        can_connect = self.has_change_permission(request, instance)
        error = ""
        try:
            services.refresh_state(instance)
            if can_connect and instance.state == ConnectionState.CONNECTING:
                services.connect(instance)  # the current QR; nothing new is started
        except services.InstanceError as failure:
            error = failure.message
        return JsonResponse(
            {
                "state": instance.state,
                "state_label": instance.get_state_display(),
                "phone": format_phone(instance.phone_number),
                "profile_name": instance.profile_name,
                "qr": instance.qr_code if can_connect and not instance.is_connected else "",
                "pairing_code": instance.pairing_code if can_connect else "",
                "error": error,
            },
            status=502 if error else 200,
        )

    def connect_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            services.connect,
            gettext("Scan the QR code with WhatsApp on the phone."),
        )

    def logout_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda instance: services.logout(instance, by=request.user),
            gettext("The number was logged out."),
        )

    def webhook_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda instance: services.reconfigure_webhook(instance, by=request.user),
            gettext("The webhook was configured again with a new secret."),
        )


# --- Evolution servers (platform staff) -------------------------------------------------------
class EvolutionServerForm(forms.ModelForm):
    """The API key can be replaced but is never shown: empty keeps the stored one."""

    api_key = forms.CharField(
        label=_("global API key"),
        required=False,
        widget=UnfoldAdminPasswordWidget(render_value=False),
        help_text=_("AUTHENTICATION_API_KEY of that server. Leave empty to keep the current key."),
    )

    class Meta:
        model = EvolutionServer
        fields = ["name", "base_url", "api_key"]

    def clean_api_key(self):
        key = self.cleaned_data["api_key"]
        if key:
            return key
        if self.instance.pk:
            return self.instance.api_key
        raise ValidationError(_("Enter the server's API key."), code="required")


class ServerAssignmentInline(TabularInline):
    model = ServerAssignment
    extra = 0
    autocomplete_fields = ["tenant"]
    verbose_name_plural = _("companies whose new instances go to this server")


@admin.register(EvolutionServer)
class EvolutionServerAdmin(SuperuserOnlyAdmin, ModelAdmin):
    form = EvolutionServerForm
    list_display = ["name", "base_url", "created_at"]
    search_fields = ["name", "base_url"]
    inlines = [ServerAssignmentInline]
