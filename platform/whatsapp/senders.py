"""Who a webhook call claims to be: the instance it names, read cheaply on every call.

One plain SELECT (building the ORM query cost more than the rest of the request), and the
answer is kept in this process for a few seconds: Evolution posts several events per message,
all naming the same instance. A stale entry can only refuse, never admit, a changed secret:
the receiver reads again before refusing (see receiver.py), so a new secret works at once and a
rotated-out one stops working within SENDER_CACHE_SECONDS.
"""

import time
from dataclasses import dataclass

from django.db import connection

from alrea.encryption import decrypt
from tenancy.models import Tenant
from whatsapp.models import WhatsAppInstance

SENDER_CACHE_SECONDS = 5.0
SENDER_CACHE_SIZE = 10_000  # instances; past that the cache starts again empty

_cache: dict[str, tuple[float, "Sender"]] = {}


@dataclass(frozen=True)
class Sender:
    """Just what receiving a webhook needs of its instance."""

    pk: object
    tenant_id: object
    webhook_secret: str
    tenant_suspended: bool


def sender_named(evolution_name: str, *, fresh: bool = False) -> Sender | None:
    now = time.monotonic()
    cached = _cache.get(evolution_name)
    if cached and not fresh and cached[0] > now:
        return cached[1]
    sender = _read(evolution_name)
    if sender is None:
        _cache.pop(evolution_name, None)
        return None
    if len(_cache) >= SENDER_CACHE_SIZE:
        _cache.clear()
    _cache[evolution_name] = (now + SENDER_CACHE_SECONDS, sender)
    return sender


def forget(evolution_name: str) -> None:
    _cache.pop(evolution_name, None)


def _read(evolution_name: str) -> Sender | None:
    instance, tenant = WhatsAppInstance._meta, Tenant._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.id, i.tenant_id, i.webhook_secret, t.status"
            f" FROM {instance.db_table} i JOIN {tenant.db_table} t ON t.id = i.tenant_id"
            f" WHERE i.evolution_name = %s",
            [evolution_name],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, tenant_id, secret, status = row
    return Sender(
        pk=pk,
        tenant_id=tenant_id,
        webhook_secret=decrypt(secret),
        tenant_suspended=status == Tenant.Status.SUSPENDED,
    )
