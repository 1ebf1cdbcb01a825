"""The bell's endpoints: the summary it polls when its socket is down, marking read, and opening a
notification (marks it read, then goes to its page). Signed-in users only, their own rows only:
another user's notification answers 404."""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from notifications import selectors, services
from notifications.models import Notification
from tenancy.access import get_visible_or_404


def _signed_in_json(view):
    """A JSON endpoint answers 401 in JSON to an anonymous caller (no login page redirect)."""

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": _("Sign in first.")}, status=401)
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@require_GET
@_signed_in_json
def summary(request):
    return JsonResponse(selectors.summary(request.user))


@require_POST
@_signed_in_json
def mark_read(request):
    """``ids`` (repeated) marks those read; ``all=1`` marks every one."""
    if request.POST.get("all"):
        ids = None
    else:
        try:
            ids = [uuid.UUID(value) for value in request.POST.getlist("ids")]
        except ValueError:
            return JsonResponse({"error": _("Unknown notification.")}, status=400)
        if not ids:
            return JsonResponse({"error": _("Say which notifications to mark read.")}, status=400)
    marked = services.mark_read(request.user, ids)
    return JsonResponse({"marked": marked, "unread": selectors.unread_count(request.user)})


@login_required
def open_notification(request, notification_id):
    # One's own only, staff included (opening marks it read for its user).
    own = Notification.objects.filter(user=request.user)
    notification = get_visible_or_404(own, request.user, pk=notification_id)
    services.mark_read(request.user, [notification.pk])
    if notification.link and url_has_allowed_host_and_scheme(
        notification.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(notification.link)
    # No link, or one that leaves the site (links are written by our code; never an open redirect).
    return HttpResponseRedirect(reverse("admin:notifications_notification_changelist"))
