from django import template

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context):
    """The header's bell for a signed-in tenant user (platform staff get no notifications)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.tenant_id:
        return {"show": False}
    return {
        "show": True,
        "unread": selectors.unread_count(user),
        "csrf_token": context.get("csrf_token"),
    }
