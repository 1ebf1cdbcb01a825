"""API keys in the admin: tenant admins create, narrow and revoke their company's keys.

Glue only: creation and revocation are ``api.services`` calls. The key in clear exists only in
the message shown right after creation.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from admin_ext.buttons import ObjectButtonsMixin
from admin_ext.display import pretty_json, status_badge
from admin_ext.tenant_admin import TenantModelAdmin, TenantRelatedFieldListFilter
from api import outbound, services, webhooks
from api import scopes as api_scopes
from api.models import ApiKey, WebhookDelivery, WebhookSubscription
from tenancy import limits
from tenancy.models import Product


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=api_scopes.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Read and write are separate: give each integration only what it uses."),
    )
    allowed_ips = forms.CharField(
        label=_("allowed IP addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address or network (CIDR, e.g. 203.0.113.0/24) per line. Empty: any."),
    )

    class Meta:
        model = ApiKey
        fields = ["tenant", "name", "scopes", "expires_at", "allowed_ips"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.initial["allowed_ips"] = "\n".join(self.instance.allowed_ips)

    def clean_scopes(self):
        return services.clean_scopes(self.cleaned_data["scopes"])

    def clean_allowed_ips(self):
        return services.clean_allowed_ips(self.cleaned_data["allowed_ips"].splitlines())

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at and expires_at <= timezone.now() and "expires_at" in self.changed_data:
            raise ValidationError(_("Choose a moment in the future."), code="past")
        return expires_at

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        new_key = self.instance._state.adding and tenant is not None
        if new_key and not limits.has_product(tenant, Product.Code.API):
            raise ValidationError(
                _("The plan of %(tenant)s does not include the API. Ask us to add it."),
                code="product_not_in_plan",
                params={"tenant": tenant.name},
            )
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(ObjectButtonsMixin, TenantModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix_shown", "status", "scope_list", "last_used_at", "tenant"]
    list_filter = ["tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "prefix"]
    actions = ["revoke_selected"]
    change_form_outer_before_template = "admin/api/apikey/revoke_panel.html"
    readonly_fields = [
        "prefix_shown",
        "status",
        "last_used_at",
        "last_used_ip",
        "created_by",
        "created_at",
        "revoked_at",
    ]
    add_fieldsets = [(None, {"fields": ["tenant", "name", "scopes", "expires_at", "allowed_ips"]})]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "prefix_shown", "status", "scopes"]}),
        (_("Restrictions"), {"fields": ["expires_at", "allowed_ips"]}),
        (
            _("Use"),
            {
                "fields": [
                    "last_used_at",
                    "last_used_ip",
                    "created_by",
                    "created_at",
                    "revoked_at",
                ]
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        hidden = set() if request.user.is_superuser else {"tenant"}
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for title, options in (self.fieldsets if obj else self.add_fieldsets)
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("tenant")
            if obj.is_revoked:  # nothing to adjust on a dead key
                fields += ["name", "scopes", "expires_at", "allowed_ips"]
        return fields

    @display(description=_("key"))
    def prefix_shown(self, obj):
        return f"{services.KEY_START}_{obj.prefix}_…"

    @display(
        description=_("status"),
        label={
            gettext("active"): "success",
            gettext("expired"): "warning",
            gettext("revoked"): "danger",
        },
    )
    def status(self, obj):
        if obj.is_revoked:
            return gettext("revoked")
        if obj.is_expired():
            return gettext("expired")
        return gettext("active")

    @display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        tenant = form.cleaned_data.get("tenant") or request.user.tenant
        created, key = services.create_key(
            tenant,
            name=obj.name,
            scopes=obj.scopes,
            expires_at=obj.expires_at,
            allowed_ips=obj.allowed_ips,
            by=request.user,
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved row.
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        self.message_user(
            request,
            gettext("Copy this key now; it is not stored and will not be shown again: %(key)s")
            % {"key": key},
            messages.WARNING,
        )

    # --- revocation -------------------------------------------------------------------------
    @action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = sum(services.revoke_key(key, by=request.user) for key in queryset)
        self.message_user(
            request,
            ngettext("%(n)s key revoked.", "%(n)s keys revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="api_apikey_revoke",
            ),
            *super().get_urls(),
        ]

    def revoke_view(self, request, object_id):
        return self.object_button(
            request,
            object_id,
            lambda key: services.revoke_key(key, by=request.user),
            gettext("The key was revoked; requests with it are refused from now on."),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        may_revoke = self.may_press_buttons(request, obj)
        extra_context = {**(extra_context or {}), "may_revoke": may_revoke}
        return super().change_view(request, object_id, form_url, extra_context)


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=list(webhooks.EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["tenant", "url", "events", "description", "is_active"]

    def clean_events(self):
        return webhooks.clean_events(self.cleaned_data["events"])

    def clean_url(self):
        webhooks.check_url(self.cleaned_data["url"])
        return self.cleaned_data["url"]


def _ping(subscription) -> None:
    """Send the test ping; a failed one becomes the error message shown."""
    outcome = webhooks.deliver_test(subscription)
    if not outcome["delivered"]:
        raise ValidationError(
            gettext("The test ping was not accepted: %(reason)s")
            % {"reason": outcome["error"] or f"HTTP {outcome['status_code']}"}
        )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ObjectButtonsMixin, TenantModelAdmin):
    form = SubscriptionForm
    change_form_outer_before_template = "admin/api/webhooksubscription/test_panel.html"
    list_display = ["url", "event_list", "is_active", "created_at", "tenant"]
    list_filter = ["tenant", "is_active"]
    list_select_related = ["tenant"]
    search_fields = ["url", "description"]
    fields = ["tenant", "url", "events", "description", "is_active", "disabled_reason"]
    readonly_fields = ["disabled_reason"]

    @display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                gettext(
                    "Deliveries are signed with this secret; copy it now, it will not be shown "
                    "again: %(secret)s"
                )
                % {"secret": obj.secret},
                messages.WARNING,
            )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="api_webhooksubscription_test",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request, object_id):
        return self.object_button(
            request, object_id, _ping, gettext("The test ping was delivered (HTTP 2xx).")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        may_test = self.may_press_buttons(request, self.get_object(request, object_id))
        extra_context = {**(extra_context or {}), "may_test": may_test}
        return super().change_view(request, object_id, form_url, extra_context)


class EventFilter(admin.SimpleListFilter):
    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return list(webhooks.EVENTS.items())

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ObjectButtonsMixin, TenantModelAdmin):
    """The delivery log: read-only; "redeliver" sends a logged body again as a new delivery."""

    change_form_outer_before_template = "admin/api/webhookdelivery/redeliver_panel.html"

    list_display = [
        "created_at",
        "event",
        "subscription",
        "status_shown",
        "attempts",
        "response_code",
        "next_attempt_at",
        "tenant",
    ]
    list_filter = [
        "tenant",
        "status",
        EventFilter,
        ("subscription", TenantRelatedFieldListFilter),
    ]
    list_select_related = ["subscription", "tenant"]
    show_full_result_count = False
    actions = ["redeliver_selected"]
    fields = [
        "tenant",
        "subscription",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "completed_at",
        "response_code",
        "duration_ms",
        "error",
        "response_excerpt",
        "body_shown",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request):
        # Whoever manages the subscriptions may make us call them again.
        return request.user.has_perm("api.change_webhooksubscription")

    def may_press_buttons(self, request, obj) -> bool:
        return self.has_redeliver_permission(request)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/redeliver/",
                self.admin_site.admin_view(self.redeliver_view),
                name="api_webhookdelivery_redeliver",
            ),
            *super().get_urls(),
        ]

    def redeliver_view(self, request, object_id):
        return self.object_button(
            request, object_id, outbound.redeliver, gettext("Queued again as a new delivery.")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        may_redeliver = self.may_press_buttons(request, self.get_object(request, object_id))
        extra_context = {**(extra_context or {}), "may_redeliver": may_redeliver}
        return super().change_view(request, object_id, form_url, extra_context)

    status_shown = status_badge(
        {
            WebhookDelivery.Status.PENDING: "info",
            WebhookDelivery.Status.DELIVERED: "success",
            WebhookDelivery.Status.FAILED: "warning",
            WebhookDelivery.Status.GIVEN_UP: "danger",
        }
    )

    @display(description=_("request body"))
    def body_shown(self, obj):
        return pretty_json(obj.payload)

    @action(description=_("Redeliver selected"), permissions=["redeliver"])
    def redeliver_selected(self, request, queryset):
        sent = 0
        for delivery in queryset.select_related("subscription"):
            try:
                outbound.redeliver(delivery)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext("%(n)s delivery queued again.", "%(n)s deliveries queued again.", sent)
                % {"n": sent},
                messages.SUCCESS,
            )
