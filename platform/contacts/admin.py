from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RangeDateFilter

from admin_ext.paginators import CappedCountPaginator
from admin_ext.tenant_admin import (
    ManyToManyExistsFilter,
    TenantChoicesMixin,
    TenantModelAdmin,
    exists_filters_changelist,
)
from alrea.phones import format_phone
from campaigns import audience
from contacts import exporting, jobs, selectors, services
from contacts.filters import CustomFieldFilter
from contacts.forms import ChooseCampaignForm, ChooseListForm, ChooseTagForm, OptOutForm
from contacts.models import (
    Contact,
    ContactExport,
    ContactList,
    ContactTag,
    ListMembership,
    Tag,
)
from contacts.selectors import PHONE_LIKE  # noqa: F401  (chat.admin imports it from here)
from tenancy.models import Tenant

TIMELINE_LENGTH = 50


def _swatch(colour):
    return format_html(
        '<span style="display:inline-block;width:.75rem;height:.75rem;border-radius:9999px;'
        'background:{}"></span>',
        colour,
    )


@admin.register(Tag)
class TagAdmin(TenantModelAdmin):
    list_display = ["name", "colour_swatch", "contact_count", "tenant"]
    list_filter = ["tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name"]
    fields = ["tenant", "name", "colour"]

    @admin.display(description=_("colour"))
    def colour_swatch(self, obj):
        return _swatch(obj.colour)


@admin.register(ContactList)
class ContactListAdmin(TenantModelAdmin):
    list_display = ["name", "contact_count", "created_at", "tenant"]
    list_filter = ["tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name"]
    fields = ["tenant", "name", "description"]


class SegmentInline(TenantChoicesMixin, TabularInline):
    """Tags or lists of one contact. Rows are added or removed (never edited in place), and
    ContactAdmin.save_formset turns each into a service call so the counters stay right."""

    extra = 0
    can_delete = True

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("contacts.view_contact")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("contacts.change_contact")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("contacts.change_contact")


class ContactTagInline(SegmentInline):
    model = ContactTag
    fields = ["tag"]
    autocomplete_fields = ["tag"]
    verbose_name = _("tag")
    verbose_name_plural = _("tags")


class ListMembershipInline(SegmentInline):
    model = ListMembership
    fields = ["contact_list", "added_at"]
    readonly_fields = ["added_at"]
    autocomplete_fields = ["contact_list"]
    verbose_name = _("list")
    verbose_name_plural = _("lists")


SEGMENT_SERVICES = {
    ContactTag: ("tag", services.add_tag, services.remove_tag),
    ListMembership: ("contact_list", services.add_to_list, services.remove_from_list),
}


@admin.register(Contact)
class ContactAdmin(TenantModelAdmin):
    list_display = [
        "__str__",
        "phone_shown",
        "email",
        "city",
        "state",
        "tag_badges",
        "opted_out",
        "created_at",
        "tenant",
    ]
    list_filter = [
        "tenant",
        ("tags", ManyToManyExistsFilter),
        ("lists", ManyToManyExistsFilter),
        "opted_out",
        "state",
        "source",
        ("created_at", RangeDateFilter),
        CustomFieldFilter,
    ]
    list_filter_submit = True
    list_select_related = ["tenant"]
    list_per_page = 50
    # Search is decided by get_search_results; search_fields only turns the search box on.
    search_fields = ["name"]
    search_help_text = _("Name, phone (any format) or e-mail")
    paginator = CappedCountPaginator
    show_full_result_count = False
    ordering = ["-created_at"]
    readonly_fields = [
        "opted_out_at",
        "source",
        "last_interaction_at",
        "created_at",
        "updated_at",
        "timeline",
    ]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "phone", "email"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "birth_date",
                    "gender",
                    "city",
                    "state",
                    "country",
                    "zip_code",
                    "notes",
                    "custom_fields",
                ]
            },
        ),
        (_("Consent"), {"fields": ["opted_out", "opted_out_at", "opt_out_reason"]}),
        (
            _("History"),
            {"fields": ["source", "last_interaction_at", "created_at", "updated_at", "timeline"]},
        ),
    ]
    inlines = [ContactTagInline, ListMembershipInline]
    actions = [
        "add_tag",
        "remove_tag",
        "add_to_list",
        "opt_out",
        "opt_in",
        "export_csv",
        "export_xlsx",
        "create_campaign",
        "add_to_campaign",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_changelist(self, request, **kwargs):
        return exists_filters_changelist(super().get_changelist(request, **kwargs))

    # --- columns ----------------------------------------------------------------------------
    @admin.display(description=_("phone"), ordering="phone")
    def phone_shown(self, obj):
        return format_html('<span class="whitespace-nowrap">{}</span>', format_phone(obj.phone))

    @admin.display(description=_("tags"))
    def tag_badges(self, obj):
        return format_html_join(
            " ",
            '<span class="text-xs" style="border-left:3px solid {};padding-left:4px">{}</span>',
            ((tag.colour, tag.name) for tag in obj.tags.all()),
        )

    @admin.display(description=_("timeline"))
    def timeline(self, obj):
        events = obj.events.select_related("actor")[:TIMELINE_LENGTH]
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {}{}</li>",
                (
                    (e.created_at.strftime("%d/%m/%Y %H:%M"), e, f" · {e.actor}" if e.actor else "")
                    for e in events
                ),
            ),
        )

    # --- search: one indexed lookup per kind of term -------------------------------------
    def get_search_results(self, request, queryset, search_term):
        tenant = request.user.tenant or Tenant(country="BR")
        return selectors.search(queryset, tenant, search_term), False

    # --- saving through the services ------------------------------------------------------
    def save_model(self, request, obj, form, change):
        tenant = obj.tenant if request.user.is_superuser else request.user.tenant
        obj.phone = services.normalize_for(tenant, obj.phone)
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name != "tenant"]
        services.announce_saved(
            obj.tenant, obj, created=not change, changed=changed, by=request.user
        )

    def save_formset(self, request, form, formset, change):
        field, add, remove = SEGMENT_SERVICES[formset.model]
        contact = form.instance
        just_this = Contact.objects.filter(pk=contact.pk)
        formset.save(commit=False)  # fills new_objects and deleted_objects; saves nothing
        for link in formset.deleted_objects:
            remove(contact.tenant, just_this, getattr(link, field), by=request.user)
        for link in formset.new_objects:
            add(contact.tenant, just_this, getattr(link, field), by=request.user)

    def delete_queryset(self, request, queryset):
        for tenant in Tenant.objects.filter(pk__in=queryset.values("tenant")):
            services.delete_contacts(tenant, queryset)

    def delete_model(self, request, obj):
        services.delete_contacts(obj.tenant, Contact.objects.filter(pk=obj.pk))

    # --- bulk actions: a page to choose the tag, list or reason, then the service ---------
    def _one_tenant(self, request, queryset):
        if not request.user.is_superuser:
            return request.user.tenant
        tenants = list(Tenant.objects.filter(pk__in=queryset.values("tenant"))[:2])
        if len(tenants) != 1:
            self.message_user(request, _("Select contacts of one company."), messages.ERROR)
            return None
        return tenants[0]

    def _bulk(self, request, queryset, *, title, form_class, apply, done=None, **form_kwargs):
        """``apply(tenant, form)`` returns how many changed; ``done(n)`` words it. A
        ValidationError it raises shows on the choice page again."""
        if not queryset.exists():
            self.message_user(request, _("No contact was selected."), messages.WARNING)
            return None
        tenant = self._one_tenant(request, queryset)
        if tenant is None:
            return None
        form = form_class(
            request.POST if "apply" in request.POST else None, tenant=tenant, **form_kwargs
        )
        if form.is_valid():
            try:
                changed = apply(tenant, form)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                text = done(changed) if done else _("%(count)s contacts changed.")
                self.message_user(request, text % {"count": changed}, messages.SUCCESS)
                return None
        return TemplateResponse(
            request,
            "admin/contacts/contact/bulk_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "form": form,
                "action": request.POST["action"],
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    @admin.action(description=_("Add a tag"), permissions=["change"])
    def add_tag(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            title=_("Add a tag to the selected contacts"),
            form_class=ChooseTagForm,
            apply=lambda tenant, form: services.add_tag(
                tenant, queryset, form.chosen_tag(), by=request.user
            ),
        )

    @admin.action(description=_("Remove a tag"), permissions=["change"])
    def remove_tag(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            title=_("Remove a tag from the selected contacts"),
            form_class=ChooseTagForm,
            allow_new=False,
            apply=lambda tenant, form: services.remove_tag(
                tenant, queryset, form.cleaned_data["tag"], by=request.user
            ),
        )

    @admin.action(description=_("Add to a list"), permissions=["change"])
    def add_to_list(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            title=_("Add the selected contacts to a list"),
            form_class=ChooseListForm,
            apply=lambda tenant, form: services.add_to_list(
                tenant, queryset, form.cleaned_data["contact_list"], by=request.user
            ),
        )

    @admin.action(description=_("Opt out"), permissions=["change"])
    def opt_out(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            title=_("Opt the selected contacts out of campaigns"),
            form_class=OptOutForm,
            apply=lambda tenant, form: services.opt_out(
                tenant, queryset, reason=form.cleaned_data["reason"], by=request.user
            ),
        )

    @admin.action(description=_("Opt in again"), permissions=["change"])
    def opt_in(self, request, queryset):
        tenant = self._one_tenant(request, queryset)
        if tenant is not None:
            changed = services.opt_in(tenant, queryset, by=request.user)
            self.message_user(request, _("%(count)s contacts changed.") % {"count": changed})

    # --- export: the filtered changelist (buttons) or the selection (actions) ---------------
    def get_urls(self):
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="contacts_contact_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        file_format = request.POST.get("format")
        if request.method != "POST" or file_format not in exporting.WRITERS:
            return HttpResponseBadRequest()
        if not self.has_export_permission(request):
            raise PermissionDenied
        tenant_id = request.user.tenant_id or request.GET.get("tenant__id__exact")
        if not tenant_id:
            self.message_user(request, _("Filter by one company to export."), messages.ERROR)
            return redirect("admin:contacts_contact_changelist")
        return self._export(request, tenant_id, file_format, query=request.GET.urlencode())

    def _export(self, request, tenant_id, file_format, *, query="", selected=()):
        job = ContactExport.objects.create(
            tenant_id=tenant_id,
            created_by=request.user,
            format=file_format,
            query=query,
            selected_ids=[str(pk) for pk in selected],
        )
        job.total_rows = jobs.contacts_of(job).for_tenant(tenant_id).count()
        jobs.start(job, jobs.run_export_job)
        return redirect("admin:contacts_contactexport_change", job.pk)

    def _export_selected(self, request, queryset, file_format):
        tenant = self._one_tenant(request, queryset)
        if tenant is None:
            return None
        return self._export(
            request, tenant.pk, file_format, selected=queryset.values_list("pk", flat=True)
        )

    def has_export_permission(self, request):
        # A whole customer base leaving in a file: admins and managers, not agents.
        return request.user.has_perm("contacts.view_contactexport")

    @admin.action(description=_("Export selected (CSV)"), permissions=["export"])
    def export_csv(self, request, queryset):
        return self._export_selected(request, queryset, "csv")

    @admin.action(description=_("Export selected (XLSX)"), permissions=["export"])
    def export_xlsx(self, request, queryset):
        return self._export_selected(request, queryset, "xlsx")

    # --- a campaign whose audience is the selection -----------------------------------------
    def has_campaign_permission(self, request):
        return request.user.has_perm("campaigns.add_campaign")

    @admin.action(description=_("Create campaign from selected contacts"), permissions=["campaign"])
    def create_campaign(self, request, queryset):
        if not queryset.exists():
            self.message_user(request, _("No contact was selected."), messages.WARNING)
            return None
        tenant = self._one_tenant(request, queryset)
        if tenant is None:
            return None
        campaign = audience.draft_for_contacts(tenant, queryset.values("pk"), by=request.user)
        return redirect("admin:campaigns_campaign_change", campaign.pk)

    def has_campaign_change_permission(self, request):
        return request.user.has_perm("campaigns.change_campaign")

    @admin.action(
        description=_("Add selected contacts to a campaign…"), permissions=["campaign_change"]
    )
    def add_to_campaign(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            title=_("Add the selected contacts to a campaign"),
            form_class=ChooseCampaignForm,
            user=request.user,
            apply=lambda tenant, form: audience.add_contacts(
                form.cleaned_data["campaign"], queryset.values("pk"), by=request.user
            ),
            done=lambda n: ngettext("%(count)s contact added.", "%(count)s contacts added.", n),
        )


from contacts import admin_jobs  # noqa: E402,F401  (registers the import and export pages)
