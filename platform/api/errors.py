"""One error body for every API failure::

    {"code": "invalid", "message": "…", "errors": {"phone": ["…"]}}

``code`` is stable and meant for programs; ``message`` is for people; ``errors`` (only on
validation failures) maps each field (``non_field_errors`` for the request as a whole, and
``items[3].phone``-like paths inside lists) to its messages.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from tenancy.limits import PlanLimitError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def exception_handler(exc, context):
    if isinstance(exc, PlanLimitError):
        exc = exceptions.PermissionDenied(" ".join(exc.messages), code=exc.code or "plan_limit")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Django's own answer would be an HTML page.
        exc = TooLarge(
            _(
                "The request body is larger than %(limit)s. Send files by URL, or fewer items "
                "per request."
            )
            % {"limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handling and logging take over
    response.data = error_body(exc)
    return response


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return {
            "code": "invalid",
            "message": _("The request has invalid values; see errors."),
            "errors": _flatten(exc.detail),
        }
    if isinstance(exc, exceptions.Throttled):
        message = _("Too many requests for this API key or company; retry after the time given.")
        return {"code": "rate_limited", "message": message, "retry_after": exc.wait}
    return {"code": _code(exc), "message": str(exc.detail)}


def _code(exc) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _django_errors(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return exc.messages


def _flatten(detail, path: str = "") -> dict[str, list[str]]:
    """Nested serializer errors to ``{"field.sub[0].x": [messages]}``."""
    found: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a ListField's errors are keyed by index
                where = f"{path}[{key}]"
            elif key == api_settings.NON_FIELD_ERRORS_KEY and path:
                where = path  # errors of a nested object as a whole
            else:
                where = f"{path}.{key}" if path else str(key)
            found.update(_flatten(value, where))
    elif isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        found[path or api_settings.NON_FIELD_ERRORS_KEY] = [str(d) for d in detail]
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                found.update(_flatten(value, f"{path}[{index}]"))
    else:
        found[path or api_settings.NON_FIELD_ERRORS_KEY] = [str(detail)]
    return found
