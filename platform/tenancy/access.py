"""Fetch one tenant-owned object for a view, API call, socket or queue consumer.

Another tenant's object answers exactly like a missing one (404), so ids never leak which rows
exist elsewhere.
"""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404

# A malformed id (not a UUID, wrong type) is just as missing as an unknown one.
_MISSING = (ObjectDoesNotExist, ValidationError, ValueError, TypeError)


def _queryset(model_or_queryset):
    if hasattr(model_or_queryset, "_default_manager"):
        return model_or_queryset._default_manager.all()
    return model_or_queryset


def _not_found(queryset):
    return Http404(f"No {queryset.model._meta.verbose_name} matches the given query.")


def _get_or_404(queryset, lookup):
    try:
        return queryset.get(**lookup)
    except _MISSING:
        raise _not_found(queryset) from None


async def _aget_or_404(queryset, lookup):
    try:
        return await queryset.aget(**lookup)
    except _MISSING:
        raise _not_found(queryset) from None


def get_for_tenant_or_404(model_or_queryset, tenant, **lookup):
    return _get_or_404(_queryset(model_or_queryset).for_tenant(tenant), lookup)


def get_visible_or_404(model_or_queryset, user, **lookup):
    return _get_or_404(_queryset(model_or_queryset).visible_to(user), lookup)


async def aget_for_tenant_or_404(model_or_queryset, tenant, **lookup):
    return await _aget_or_404(_queryset(model_or_queryset).for_tenant(tenant), lookup)


async def aget_visible_or_404(model_or_queryset, user, **lookup):
    return await _aget_or_404(_queryset(model_or_queryset).visible_to(user), lookup)
