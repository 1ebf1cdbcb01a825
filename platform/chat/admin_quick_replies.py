"""Quick replies in the admin: administrators manage the company's, managers those of their
departments; agents read them (and use them in the chat's composer)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from admin_ext.display import excerpt
from admin_ext.tenant_admin import TenantModelAdmin
from chat import quick_replies
from chat.models import QuickReply


@admin.register(QuickReply)
class QuickReplyAdmin(TenantModelAdmin):
    list_display = ["__str__", "text_excerpt", "department", "updated_at"]
    list_filter = ["department"]
    search_fields = ["shortcut", "text"]
    fields = ["tenant", "shortcut", "text", "department"]
    list_select_related = ["department"]

    @admin.display(description=_("text"))
    def text_excerpt(self, obj):
        return excerpt(obj.text)

    def _runs_whole_tenant(self, request) -> bool:
        return request.user.is_superuser or request.user.sees_whole_tenant

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and not self._runs_whole_tenant(request):
            # A manager writes for their own departments only, never for the whole company.
            kwargs["queryset"] = Department.objects.filter(pk__in=request.user.departments.all())
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def _may_edit(self, request, obj) -> bool:
        if obj is None or self._runs_whole_tenant(request):
            return True
        return request.user.departments.filter(pk=obj.department_id).exists()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class QuickReplyForm(form):
            def clean(self):
                cleaned = super().clean()
                tenant_id = self.instance.tenant_id or getattr(cleaned.get("tenant"), "pk", None)
                if cleaned.get("text") and tenant_id:
                    try:
                        quick_replies.validate_text(cleaned["text"], tenant_id)
                    except ValidationError as exc:
                        self.add_error("text", exc)
                return cleaned

        return QuickReplyForm
