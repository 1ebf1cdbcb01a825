from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.authentication import ApiClient
from api.scopes import scope


class HasScope(BasePermission):
    """The key holds ``<view.api_area>:read`` for safe methods, ``:write`` for the others.

    A view action that writes through a safe-looking method (or reads through POST, such as a
    search) says so with ``api_write_actions`` / ``api_read_actions``.
    """

    message = _("This API key lacks the scope this request needs.")
    code = "missing_scope"

    def has_permission(self, request, view):
        if not isinstance(request.user, ApiClient):
            return False
        needed = required_scope(request, view)
        if request.auth.allows(needed):
            return True
        self.message = _("This API key lacks the scope %(scope)s.") % {"scope": needed}
        return False


def required_scope(request, view) -> str:
    action = getattr(view, "action", None)
    if action in getattr(view, "api_read_actions", ()):
        write = False
    elif action in getattr(view, "api_write_actions", ()):
        write = True
    else:
        write = request.method not in SAFE_METHODS
    return scope(view.api_area, write=write)
