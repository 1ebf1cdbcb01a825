from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as StockUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from accounts import services
from accounts.models import Department, Role, User
from admin_ext.tenant_admin import TenantAdminMixin, TenantModelAdmin


@admin.register(Department)
class DepartmentAdmin(TenantModelAdmin):
    list_display = ["name", "colour_swatch", "member_count", "tenant"]
    list_filter = ["tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name"]
    fields = ["tenant", "name", "colour", "transfer_message"]

    def get_queryset(self, request):
        # annotate() drops Meta.ordering: order again so pagination and autocomplete are stable.
        return (
            super().get_queryset(request).annotate(member_count=Count("members")).order_by("name")
        )

    @admin.display(description=_("colour"))
    def colour_swatch(self, obj):
        return format_html(
            '<span style="display:inline-block;width:1rem;height:1rem;border-radius:9999px;'
            'background:{}" title="{}"></span>',
            obj.colour,
            obj.colour,
        )

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


class MembershipRulesForm(forms.ModelForm):
    """Plan seat limit and the last-admin rule, checked where the user sees the error."""

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is None:
            if not cleaned.get("is_superuser", self.instance.is_superuser):
                self.add_error(None, _("Choose the user's company and role."))
            return cleaned
        # self.instance still holds the stored values here (they are copied in after clean()).
        # A new user already has its UUID pk: only _state tells whether it is stored.
        was_counted = (
            not self.instance._state.adding
            and self.instance.is_active
            and self.instance.tenant_id == tenant.pk
        )
        if cleaned.get("is_active", True) and not was_counted:
            services.check_can_add_member(tenant)
        services.check_keeps_an_admin(
            self.instance,
            new_role=cleaned.get("role", self.instance.role),
            new_active=cleaned.get("is_active", True),
        )
        return cleaned


class AddUserForm(MembershipRulesForm, UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name", "phone", "tenant", "role", "departments"]


class ChangeUserForm(MembershipRulesForm, UserChangeForm):
    class Meta:
        model = User
        fields = [
            "email",
            "password",
            "display_name",
            "phone",
            "tenant",
            "role",
            "departments",
            "is_active",
            "chat_signature",
            "chat_signature_position",
            "is_superuser",
            "groups",
            "user_permissions",
        ]


@admin.register(User)
class UserAdmin(TenantAdminMixin, StockUserAdmin, ModelAdmin):
    form = ChangeUserForm
    add_form = AddUserForm
    change_password_form = AdminPasswordChangeForm
    ordering = ["email"]
    list_display = [
        "email",
        "display_name",
        "phone_shown",
        "role",
        "tenant",
        "is_active",
        "last_login",
    ]
    list_filter = ["tenant", "role", "departments", "is_active", "is_superuser"]
    list_select_related = ["tenant"]
    search_fields = ["email", "display_name", "phone"]
    filter_horizontal = ["departments", "groups", "user_permissions"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "phone"]}),
        (_("Company"), {"fields": ["tenant", "role", "departments"]}),
        (_("Chat"), {"fields": ["chat_signature", "chat_signature_position"]}),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "password1", "password2"]}),
        (_("Profile"), {"fields": ["display_name", "phone"]}),
        (_("Company"), {"fields": ["tenant", "role", "departments"]}),
    ]
    # Only platform staff may grant superuser status or raw permissions.
    platform_fieldset = (_("Platform"), {"fields": ["is_superuser", "groups", "user_permissions"]})

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if request.user.is_superuser and obj is not None:
            fieldsets.append(self.platform_fieldset)
        return fieldsets

    @admin.display(description=_("phone"), ordering="phone")
    def phone_shown(self, obj):
        return obj.phone_display

    def get_deleted_objects(self, objs, request):
        # Deleting the last active administrator would leave the company unmanageable: list it
        # as something the user may not delete, which makes the admin refuse the whole deletion
        # (the delete page and the bulk action alike).
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        try:
            services.check_admins_remain_without(list(objs))
        except ValidationError as error:
            perms_needed.add(error.messages[0])
        return deleted, model_count, perms_needed, protected

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = Role.choices  # no blank: tenant members always have a role
        return super().formfield_for_choice_field(db_field, request, **kwargs)
