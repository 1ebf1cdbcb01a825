"""contact.profile_pic: a contact's WhatsApp profile picture, cached in Redis for a week.

The picture is downloaded only from the URL Evolution returns for that contact's number (never
from a URL a browser supplies), with a size bound, and kept only if its bytes are an image.
Browsers get it through ``media.views.contact_picture``; a miss there asks for a refresh.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache

from bus.payloads import ContactProfilePic
from bus.publish import publish
from chat.models import Conversation
from contacts.models import Contact
from media import sniffing
from whatsapp import evolution, servers
from whatsapp.models import WhatsAppInstance

logger = logging.getLogger(__name__)

CACHE_SECONDS = 7 * 24 * 3600
# A contact without a (visible) photo, or whose photo could not be fetched, is asked again later.
MISSING_SECONDS = 24 * 3600
# A page showing the same contact many times asks for one refresh.
REQUEST_SECONDS = 10 * 60
DOWNLOAD_TIMEOUT_SECONDS = 10
# Answers that asking again cannot change.
REFUSALS = (evolution.ValidationError, evolution.InstanceNotFound, evolution.Unauthorized)


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class Entry:
    """What the cache holds for a contact: the URL it was fetched from ('' when WhatsApp showed
    none), and the picture (None: none, or not kept)."""

    url: str
    picture: Picture | None


class Unavailable(Exception):
    pass


def _key(contact_id) -> str:
    return f"media:contact-picture:{contact_id}"


def _entry(contact: Contact) -> Entry | None:
    """The cached entry while it is current: WhatsApp reporting another picture URL for the
    contact (contacts.update) makes it stale."""
    found = cache.get(_key(contact.pk))
    if not isinstance(found, Entry):
        return None
    if contact.profile_picture_url and found.url != contact.profile_picture_url:
        return None
    return found


def cached(contact: Contact) -> Picture | None:
    """The current cached picture, or None (no picture, stale, or not fetched yet)."""
    entry = _entry(contact)
    return entry.picture if entry else None


def request_refresh(contact: Contact) -> bool:
    """Ask contact.profile_pic for ``contact``'s picture unless it is current or asked for."""
    if _entry(contact) is not None:
        return False  # cached, or known to have none (for a while)
    if not cache.add(f"{_key(contact.pk)}:asked", 1, REQUEST_SECONDS):
        return False
    instance_id = (
        Conversation.objects.for_tenant(contact.tenant_id)
        .filter(contact=contact, instance__isnull=False)
        .order_by("-last_message_at")
        .values_list("instance_id", flat=True)
        .first()
    )
    if instance_id is None:
        return False  # no number of ours has talked to them
    publish(
        ContactProfilePic(
            tenant_id=contact.tenant_id, contact_id=contact.pk, instance_id=instance_id
        )
    )
    return True


def refresh(tenant_id, contact_id, instance_id) -> None:
    """Fetch and cache the picture. Raises DoesNotExist for a contact or instance that is gone
    and the error when a retry may help (Evolution or the picture's server unreachable)."""
    contact = Contact.objects.for_tenant(tenant_id).get(pk=contact_id)
    instance = WhatsAppInstance.objects.for_tenant(tenant_id).get(pk=instance_id)
    try:
        with servers.client_for(instance) as client:
            answer = client.fetch_profile_picture(instance.evolution_name, contact.phone)
    except REFUSALS as exc:
        logger.warning(
            "no profile picture for contact %s: %s", contact.pk, exc, extra={"tenant_id": tenant_id}
        )
        return
    url = answer.url or ""  # None: hidden or none
    picture = None
    if url:
        try:
            picture = _download(url)
        except Unavailable as exc:
            logger.warning(
                "profile picture of contact %s not kept: %s",
                contact.pk,
                exc,
                extra={"tenant_id": tenant_id},
            )
    seconds = CACHE_SECONDS if picture else MISSING_SECONDS
    cache.set(_key(contact.pk), Entry(url, picture), seconds)
    Contact.objects.filter(pk=contact.pk).exclude(profile_picture_url=url).update(
        profile_picture_url=url
    )


def _download(url: str) -> Picture:
    if urlsplit(url).scheme not in ("http", "https"):
        raise Unavailable(f"not a web address: {url[:40]!r}")
    limit = settings.PROFILE_PICTURE_MAX_BYTES
    # No redirects: only the address Evolution gave is fetched.
    with (
        httpx.Client(timeout=DOWNLOAD_TIMEOUT_SECONDS, follow_redirects=False) as http,
        http.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise Unavailable(f"HTTP {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Unavailable(f"{declared} bytes, over {limit}")
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > limit:
                raise Unavailable(f"over {limit} bytes")
    content_type = sniffing.sniff(bytes(data))
    if content_type not in sniffing.RASTER_IMAGES:
        raise Unavailable("not an image")
    return Picture(bytes(data), content_type)
