"""The admin side of the one tenant mechanism (DESIGN rule 1).

Every ModelAdmin of a tenant-owned model inherits ``TenantModelAdmin`` (or mixes in
``TenantAdminMixin``). For anyone but platform staff it narrows the changelist, the
change/delete/history views, object actions, FK and M2M choices, autocomplete and list filters
to the user's tenant (and to what their role may see), sets the tenant on save and hides the
tenant field. Another tenant's object answers 404.
"""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

TENANT_FIELD = "tenant"


def _is_tenant_scoped(model) -> bool:
    return hasattr(model._default_manager.all(), "for_tenant")


def _tenant_id_of(value):
    return getattr(value, "tenant_id", None)


def scoped_related(admin_site, related_model, request):
    """The rows of ``related_model`` the user may pick: what its own admin shows them (tenant
    and role), or the tenant's rows when it has no admin."""
    related_admin = admin_site._registry.get(related_model)
    if related_admin is not None:
        return related_admin.get_queryset(request)
    return related_model._default_manager.for_tenant(request.user.tenant_id)


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter whose choices are the user's tenant's rows only (the stock one
    lists every row of the related table)."""

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser or not _is_tenant_scoped(field.related_model):
            return super().field_choices(field, request, model_admin)
        allowed = scoped_related(model_admin.admin_site, field.related_model, request)
        return field.get_choices(
            include_blank=False,
            ordering=self.field_admin_ordering(field, request, model_admin),
            limit_choices_to={"pk__in": allowed.values("pk")},
        )


class ManyToManyExistsFilter(TenantRelatedFieldListFilter):
    """A many-to-many filter written as EXISTS instead of a join.

    The join repeats a row per matching link, so Django's changelist adds DISTINCT, and on a
    big table PostgreSQL then sorts every match before it can show a page (measured: 620 ms for
    a tag on 1,000,000 contacts, against 1 ms with EXISTS; docs/performance.md). Pair it with
    ``ExistsFiltersChangeListMixin``, which lets the changelist skip that DISTINCT.
    """

    def queryset(self, request, queryset):
        through = self.field.remote_field.through
        links = through.objects.filter(**{self.field.m2m_field_name(): OuterRef("pk")})
        if self.lookup_val:
            target = f"{self.field.m2m_reverse_field_name()}_id__in"
            return queryset.filter(Exists(links.filter(**{target: self.lookup_val})))
        if self.lookup_val_isnull in ("True", "1", "true"):
            return queryset.filter(~Exists(links))
        return queryset


def exists_filters_changelist(base):
    """A changelist class that skips DISTINCT when the only filters that could repeat rows are
    ManyToManyExistsFilter (which never do)."""

    class ExistsFiltersChangeList(base):
        def get_filters(self, request):
            specs, has_filters, remaining, may_repeat, active = super().get_filters(request)
            joins = [
                spec
                for spec in specs
                if getattr(spec, "field", None) is not None
                and spec.field.many_to_many
                and spec.used_parameters
            ]
            if (
                may_repeat
                and joins
                and all(isinstance(spec, ManyToManyExistsFilter) for spec in joins)
            ):
                may_repeat = False
            return specs, has_filters, remaining, may_repeat, active

    return ExistsFiltersChangeList


class TenantFormMixin:
    """Binds the form's instance to the tenant before validation, so unique constraints that
    include ``tenant`` are checked (instead of failing as an IntegrityError on save), and
    rejects relations that point into another tenant."""

    admin_tenant = None  # set per request by TenantModelAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.admin_tenant is not None and not getattr(self.instance, "tenant_id", None):
            self.instance.tenant = self.admin_tenant

    def _get_validation_exclusions(self):
        # The tenant field is hidden from tenant users but is part of unique constraints.
        exclusions = super()._get_validation_exclusions()
        exclusions.discard(TENANT_FIELD)
        return exclusions

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get(TENANT_FIELD)
        tenant_id = chosen.pk if chosen else getattr(self.instance, "tenant_id", None)
        if tenant_id is None:
            return cleaned
        # A copy: add_error() removes the field from cleaned_data while we iterate.
        for name, value in list(cleaned.items()):
            if name == TENANT_FIELD:
                continue
            related = value if isinstance(value, models.QuerySet | list | tuple) else [value]
            if any(_tenant_id_of(v) not in (None, tenant_id) for v in related):
                self.add_error(
                    name,
                    ValidationError(_("Choose items of the same company."), code="cross_tenant"),
                )
        return cleaned


class MissingObjectIs404:
    """The stock admin redirects with "doesn't exist" for an unknown id; a 404 does not reveal
    whether the id belongs to someone else."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Not found."))
        return obj


class TenantChoicesMixin:
    """FK and M2M choices limited to the user's tenant (for ModelAdmins and inlines)."""

    def _scope_choices(self, db_field, request, kwargs):
        related = db_field.related_model
        if (
            not request.user.is_superuser
            and "queryset" not in kwargs
            and _is_tenant_scoped(related)
        ):
            kwargs["queryset"] = scoped_related(self.admin_site, related, request)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **self._scope_choices(db_field, request, kwargs)
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **self._scope_choices(db_field, request, kwargs)
        )


class TenantAdminMixin(TenantChoicesMixin, MissingObjectIs404):
    """Tenant scoping for a ModelAdmin; mix in before the admin class it refines."""

    # --- what a user may see --------------------------------------------------------------
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.visible_to(request.user)

    # --- choices in filters ---------------------------------------------------------------
    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if entry == TENANT_FIELD and not request.user.is_superuser:
                continue
            path, filter_class = entry if isinstance(entry, tuple) else (entry, None)
            if isinstance(path, str) and self._points_into_tenant_data(path):
                if filter_class is None:
                    entry = (path, TenantRelatedFieldListFilter)
                elif not issubclass(filter_class, TenantRelatedFieldListFilter):
                    raise ImproperlyConfigured(
                        f"{type(self).__name__}.list_filter: {path} lists another model's rows; "
                        f"its filter must subclass TenantRelatedFieldListFilter."
                    )
            filters.append(entry)
        return filters

    def _points_into_tenant_data(self, path: str) -> bool:
        last = get_fields_from_path(self.model, path)[-1]
        return last.is_relation and _is_tenant_scoped(last.related_model)

    # --- the tenant field -----------------------------------------------------------------
    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if request.user.is_superuser:
            return columns
        return [c for c in columns if c != TENANT_FIELD]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return [f for f in fields if f != TENANT_FIELD]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != TENANT_FIELD]})
            for name, opts in fieldsets
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        tenant = None if request.user.is_superuser else request.user.tenant
        return type(form.__name__, (TenantFormMixin, form), {"admin_tenant": tenant})

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.tenant = request.user.tenant
        super().save_model(request, obj, form, change)


class TenantModelAdmin(TenantAdminMixin, ModelAdmin):
    """Base ModelAdmin for tenant-owned models."""
