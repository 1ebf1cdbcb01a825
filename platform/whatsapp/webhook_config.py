"""What each instance's webhook looks like on the Evolution side: URL, events, secret header.

The instance's webhook posts every event to one URL with our per-instance secret in a custom
header (Evolution adds ``webhook.headers`` as given). Deployments that cannot send headers use
the URL that carries a token derived from the same secret.
"""

import hashlib
import hmac

from django.conf import settings
from django.urls import reverse

SECRET_HEADER = "x-alrea-webhook-secret"

# The UPPER_SNAKE names of the contract (§3.3) this platform handles.
EVENTS = [
    "QRCODE_UPDATED",
    "CONNECTION_UPDATE",
    "MESSAGES_UPSERT",
    "MESSAGES_UPDATE",
    "MESSAGES_DELETE",
    "SEND_MESSAGE",
    "CONTACTS_UPSERT",
    "CONTACTS_UPDATE",
    "CHATS_UPDATE",
    "PRESENCE_UPDATE",
    "LOGOUT_INSTANCE",
]


def url_token(instance) -> str:
    """The token of the header-less fallback URL: changes whenever the secret does."""
    return hmac.new(
        instance.webhook_secret.encode(), b"alrea-webhook-url", hashlib.sha256
    ).hexdigest()[:40]


def webhook_url(instance=None, *, with_token: bool = False) -> str:
    path = (
        reverse("whatsapp:webhook-token", kwargs={"token": url_token(instance)})
        if with_token
        else reverse("whatsapp:webhook")
    )
    return f"{settings.PUBLIC_URL}{path}"


def webhook_settings(instance) -> dict:
    """The ``webhook`` object of /instance/create and /webhook/set for ``instance``."""
    return {
        "enabled": True,
        "url": webhook_url(instance),
        "headers": {SECRET_HEADER: instance.webhook_secret},
        "byEvents": False,
        "base64": False,
        "events": EVENTS,
    }
