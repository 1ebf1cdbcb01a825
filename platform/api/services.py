"""State changes of API keys: creation (the only moment the key exists in clear) and revocation."""

import hashlib
import ipaddress
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import scopes as api_scopes
from api.models import ApiKey, IdempotentRequest

logger = logging.getLogger(__name__)

KEY_START = "alrea"
_PREFIX_BYTES = 4  # 8 hex digits: enough to find the row, nothing secret
_SECRET_BYTES = 32


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``alrea_<prefix>_<secret>`` → (prefix, secret), or None when it is not shaped so."""
    start, _sep, rest = key.partition("_")
    prefix, _sep, secret = rest.partition("_")
    if start != KEY_START or len(prefix) != 2 * _PREFIX_BYTES or not secret:
        return None
    return prefix, secret


def clean_allowed_ips(entries) -> list[str]:
    """Addresses and CIDR networks, normalised (``10.0.0.7/24`` → ``10.0.0.0/24``)."""
    cleaned = []
    for entry in entries:
        text = str(entry).strip()
        if not text:
            continue
        try:
            cleaned.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise ValidationError(
                _("%(value)s is not an IP address or network."),
                code="invalid_ip",
                params={"value": text},
            ) from None
    return cleaned


def clean_scopes(chosen) -> list[str]:
    unknown = [scope for scope in chosen if scope not in api_scopes.ALL]
    if unknown:
        raise ValidationError(
            _("Unknown scopes: %(scopes)s."), code="invalid_scope", params={"scopes": unknown}
        )
    if not chosen:
        raise ValidationError(_("Choose at least one scope."), code="no_scope")
    return [scope for scope in api_scopes.ALL if scope in chosen]


def create_key(
    tenant, *, name: str, scopes, expires_at=None, allowed_ips=(), by=None
) -> tuple[ApiKey, str]:
    """A new key for ``tenant``; returns the row and the key in clear, which is never stored."""
    fields = {
        "name": name,
        "scopes": clean_scopes(scopes),
        "expires_at": expires_at,
        "allowed_ips": clean_allowed_ips(allowed_ips),
    }
    while True:
        prefix = secrets.token_hex(_PREFIX_BYTES)
        key = f"{KEY_START}_{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    tenant=tenant, prefix=prefix, key_hash=hash_key(key), created_by=by, **fields
                )
        except IntegrityError:
            continue  # the prefix was taken (one in four billion): draw another
        logger.info(
            "api key created",
            extra={"tenant_id": str(tenant.pk), "api_key": prefix, "by": getattr(by, "pk", None)},
        )
        return api_key, key


def revoke_key(api_key: ApiKey, *, by=None) -> bool:
    """Stop the key at once. Returns False when it was revoked already."""
    now = timezone.now()
    # Compare-and-swap: the first revocation keeps its date.
    changed = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    if changed:
        api_key.revoked_at = now
        logger.info(
            "api key revoked",
            extra={
                "tenant_id": str(api_key.tenant_id),
                "api_key": api_key.prefix,
                "by": getattr(by, "pk", None),
            },
        )
    return bool(changed)


def purge_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than API_IDEMPOTENCY_TTL_HOURS (an hourly q2 schedule)."""
    cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
