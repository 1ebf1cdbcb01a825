"""The reception's admin pages: business hours (with weekly intervals and holidays), the welcome
menu (with its options) and the follow-ups left by customers who wrote while closed.

Administrators edit the company's hours, every department's and the menu; managers the hours of
their own departments (BusinessHours.visible_to); agents none of it. Everyone with a department
sees and settles its follow-ups.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from unfold.admin import TabularInline

from accounts.models import Role
from admin_ext.tenant_admin import TenantChoicesMixin, TenantModelAdmin
from chat import after_hours, hours, welcome
from chat.models import BusinessHours, FollowUp, Holiday, MenuOption, OpeningInterval, WelcomeMenu


class ChildFormSet(BaseInlineFormSet):
    """Rows of a tenant-owned parent: they take its company, and may only point at it."""

    def save_new(self, form, commit=True):
        form.instance.tenant_id = self.instance.tenant_id
        return super().save_new(form, commit)

    def clean(self):
        super().clean()
        tenant_id = getattr(self.instance, "tenant_id", None)
        for form in self.forms:
            department = getattr(form, "cleaned_data", {}).get("department")
            if department is not None and tenant_id and department.tenant_id != tenant_id:
                form.add_error("department", _("Choose items of the same company."))


class ChildInline(TenantChoicesMixin, TabularInline):
    formset = ChildFormSet
    extra = 0


class OpeningIntervalInline(ChildInline):
    model = OpeningInterval
    fields = ["weekday", "opens", "closes"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None and obj.intervals.exists() else 5


class HolidayInline(ChildInline):
    model = Holiday
    fields = ["date", "name", "yearly"]


class BusinessHoursForm(forms.ModelForm):
    requires_department = False  # set per request: managers edit departments' hours only

    def clean_department(self):
        department = self.cleaned_data.get("department")
        if department is None and self.requires_department:
            raise ValidationError(_("Choose one of your departments."), code="required")
        return department


@admin.register(BusinessHours)
class BusinessHoursAdmin(TenantModelAdmin):
    form = BusinessHoursForm
    list_display = ["__str__", "weekly", "open_now", "create_follow_up", "tenant"]
    list_filter = ["tenant"]
    list_select_related = ["department", "tenant"]
    fields = [
        "tenant",
        "department",
        "after_hours_reply",
        "create_follow_up",
        "company_holidays",
    ]
    inlines = [OpeningIntervalInline, HolidayInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("intervals")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.requires_department = request.user.role == Role.MANAGER
        return form

    @admin.display(description=_("weekly hours"))
    def weekly(self, obj):
        return ", ".join(str(interval) for interval in obj.intervals.all()) or _("closed")

    @admin.display(description=_("now"))
    def open_now(self, obj):
        schedule = hours.schedule_for(obj.tenant, obj.department_id)
        return _("open") if schedule.is_open(timezone.now()) else _("closed")


class MenuOptionInline(ChildInline):
    model = MenuOption
    fields = ["number", "department", "label"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None and obj.options.exists() else 2


@admin.register(WelcomeMenu)
class WelcomeMenuAdmin(TenantModelAdmin):
    list_display = ["__str__", "enabled", "options_shown", "tenant"]
    list_filter = ["tenant", "enabled"]
    list_select_related = ["tenant"]
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["tenant", "enabled", "greeting", "preview"]}),
        (_("Answers"), {"fields": ["invalid_choice"]}),
        (
            _("Without an answer"),
            {
                "fields": [
                    "remind_after_minutes",
                    "reminder",
                    "close_after_minutes",
                    "closing_message",
                ]
            },
        ),
    ]
    inlines = [MenuOptionInline]

    def has_add_permission(self, request):
        # One menu per company: once it exists it is edited, not added again.
        if not super().has_add_permission(request):
            return False
        return (
            request.user.is_superuser
            or not WelcomeMenu.objects.filter(tenant_id=request.user.tenant_id).exists()
        )

    @admin.display(description=_("options"))
    def options_shown(self, obj):
        return ", ".join(str(option) for option in obj.options.select_related("department"))

    @admin.display(description=_("as the customer sees it"))
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            '<div class="whitespace-pre-wrap">{}</div>', welcome.menu_text(obj, obj.greeting)
        )


class OpenFilter(admin.SimpleListFilter):
    title = pgettext_lazy("follow-up", "state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("To do")), ("done", pgettext_lazy("follow-up", "Done"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(done_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(done_at__isnull=False)
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(TenantModelAdmin):
    list_display = ["conversation", "department", "note", "created_at", "done_at", "done_by"]
    list_filter = [OpenFilter, "department", "tenant"]
    list_select_related = ["conversation__contact", "department", "done_by"]
    # The note is the one thing edited here (what was done, whom to call back); "done" goes
    # through the actions.
    fields = ["conversation_link", "department", "note", "created_at", "done_at", "done_by"]
    readonly_fields = ["conversation_link", "department", "created_at", "done_at", "done_by"]
    actions = ["mark_done", "mark_to_do"]

    def has_add_permission(self, request):
        return False  # left by the after-hours reply

    @admin.display(description=_("conversation"))
    def conversation_link(self, obj):
        url = reverse("admin:chat_conversation_change", args=[obj.conversation_id])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.conversation)

    @admin.action(description=_("Mark the selected follow-ups done"), permissions=["change"])
    def mark_done(self, request, queryset):
        done = after_hours.mark_done(queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(n)d follow-up done.", "%(n)d follow-ups done.", done) % {"n": done},
        )

    @admin.action(description=_("Mark the selected follow-ups to do again"), permissions=["change"])
    def mark_to_do(self, request, queryset):
        changed = after_hours.reopen(queryset)
        self.message_user(
            request,
            ngettext("%(n)d follow-up to do again.", "%(n)d follow-ups to do again.", changed)
            % {"n": changed},
        )
