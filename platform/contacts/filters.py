from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import TextFilter


class CustomFieldFilter(TextFilter):
    """``key=value`` matches contacts whose custom field ``key`` is exactly ``value``.

    Uses JSON containment (@>), which the GIN index on custom_fields serves.
    """

    title = _("custom field (key=value)")
    parameter_name = "custom_field"

    def queryset(self, request, queryset):
        key, sep, value = (self.value() or "").partition("=")
        if not sep or not key.strip():
            return queryset
        return queryset.filter(custom_fields__contains={key.strip(): value.strip()})
