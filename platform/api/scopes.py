"""What an API key may do: read and/or write, per area of the platform.

A scope is written ``<area>:<access>`` (``contacts:read``). Write does not imply read: an ERP
that only pushes contacts does not need to be able to list them. WhatsApp instances are read
with ``messages:read``: an integrator lists them to choose the number it sends through.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

AREAS = {
    "contacts": _("Contacts"),
    "messages": _("Messages"),
    "campaigns": _("Campaigns"),
    "conversations": _("Conversations"),
    "webhooks": _("Webhooks"),
}
# In context: a campaign's "read" counter is another word in Portuguese ("lidas").
ACCESS = {"read": pgettext_lazy("API scope", "read"), "write": pgettext_lazy("API scope", "write")}
ALL = tuple(f"{area}:{access}" for area in AREAS for access in ACCESS)
CHOICES = [
    (f"{area}:{access}", f"{area_label}: {access_label}")
    for area, area_label in AREAS.items()
    for access, access_label in ACCESS.items()
]


def scope(area: str, *, write: bool) -> str:
    if area not in AREAS:
        raise ValueError(f"Unknown API area {area!r}.")
    return f"{area}:{'write' if write else 'read'}"
