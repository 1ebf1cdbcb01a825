"""Outbound webhooks for integrators: the events, URL checks (SSRF) and signatures.

This module holds what a subscription needs to exist and be tested, and the one signed POST;
queued delivery with retries is ``api.outbound`` (the ``webhook.outbound`` consumer).

Signature: ``X-Alrea-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with the
subscription's secret (docs/api.md has a verification snippet).
"""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EVENTS = {
    "message.received": gettext_lazy("A customer's message arrived"),
    "message.status": gettext_lazy("A sent message was delivered, read or failed"),
    "conversation.assigned": gettext_lazy("A conversation was assigned"),
    "conversation.closed": gettext_lazy("A conversation was closed"),
    "contact.created": gettext_lazy("A contact was created"),
    "contact.updated": gettext_lazy("A contact was changed"),
    "contact.opted_out": gettext_lazy("A contact opted out"),
    "campaign.started": gettext_lazy("A campaign started"),
    "campaign.finished": gettext_lazy("A campaign finished"),
    "instance.connection": gettext_lazy("A WhatsApp number connected or disconnected"),
}
SIGNATURE_HEADER = "X-Alrea-Signature"
TIMEOUT_SECONDS = 5
MAX_RESPONSE_BYTES = 64 * 1024  # of the receiver's answer kept for the log


def clean_events(chosen) -> list[str]:
    unknown = [event for event in chosen if event not in EVENTS]
    if unknown:
        raise ValidationError(
            _("Unknown events: %(events)s.") % {"events": ", ".join(map(str, unknown))},
            code="invalid_event",
        )
    if not chosen:
        raise ValidationError(_("Choose at least one event."), code="no_event")
    return [event for event in EVENTS if event in chosen]


def check_url(url: str) -> None:
    """Refuse URLs we must not call: other schemes and, unless allowed (development), hosts
    that resolve to loopback, private, link-local or otherwise reserved addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Use an http or https URL."), code="invalid_url")
    if settings.API_WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValidationError(
            _("%(host)s could not be resolved.") % {"host": parts.hostname}, code="unresolvable"
        ) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                _("%(host)s is a private or local address; webhooks go to public servers.")
                % {"host": parts.hostname},
                code="private_address",
            )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def encode(body: dict) -> bytes:
    """The exact bytes sent and signed: compact JSON."""
    return json.dumps(body, separators=(",", ":")).encode()


def deliver_test(subscription) -> dict:
    """POST a signed ``ping`` to the subscription's URL now; what happened, for the caller."""
    body = {
        "id": str(uuid.uuid4()),
        "event": "ping",
        "created_at": timezone.now().isoformat(),
        "data": {"subscription": str(subscription.pk)},
    }
    return post_signed(subscription, encode(body))


def post_signed(subscription, body: bytes) -> dict:
    """POST ``body`` signed with the subscription's secret: delivered, status_code, error,
    response (at most MAX_RESPONSE_BYTES), duration_ms. Never raises for the receiver's faults."""
    started = time.monotonic()
    outcome = {"delivered": False, "status_code": None, "error": "", "response": ""}
    try:
        check_url(subscription.url)  # again: DNS may have changed since it was saved
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Alrea-Webhooks/1",
                SIGNATURE_HEADER: signature(subscription.secret, int(time.time()), body),
            }
            with client.stream("POST", subscription.url, content=body, headers=headers) as reply:
                outcome["status_code"] = reply.status_code
                outcome["response"] = _bounded_text(reply, started + TIMEOUT_SECONDS)
                outcome["delivered"] = 200 <= reply.status_code < 300
    except ValidationError as error:
        outcome["error"] = " ".join(error.messages)
    except httpx.HTTPError as error:
        outcome["error"] = f"{type(error).__name__}: {error}"
    outcome["duration_ms"] = round((time.monotonic() - started) * 1000)
    return outcome


def _bounded_text(reply: httpx.Response, deadline: float) -> str:
    """The start of the answer: at most MAX_RESPONSE_BYTES, and only what arrives before
    ``deadline`` (httpx's timeout is per read, so a receiver sending a byte at a time could
    otherwise hold the consumer for hours)."""
    kept = b""
    for chunk in reply.iter_bytes():
        kept += chunk[: MAX_RESPONSE_BYTES - len(kept)]
        if len(kept) >= MAX_RESPONSE_BYTES or time.monotonic() >= deadline:
            break
    return kept.decode("utf-8", "replace")
