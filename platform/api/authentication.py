"""``Authorization: Bearer <key>`` for the token API.

Every request reads the key's row in one query (with its tenant, its plan and whether the tenant
may use the API), so a revocation, an expiry, a suspended tenant or a plan without the API takes
effect on the next request, however the row was changed. ``last_used_at`` is written at most
once a minute per key.
"""

import hmac
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api.models import ApiKey
from api.services import hash_key, split_key
from tenancy import limits
from tenancy.models import Product

# last_used_at is written at most this often per key, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiClient:
    """``request.user`` of an API request: the integrator behind a key, not a person."""

    key: ApiKey
    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False

    @property
    def tenant(self):
        return self.key.tenant

    def __str__(self):
        return f"API key {self.key.prefix}"


def client_ip(request) -> str:
    """The caller's address: the peer's, or behind a trusted proxy (``API_TRUSTED_PROXIES``)
    the nearest address in X-Forwarded-For that is not one of those proxies. A forwarded
    address that is not an IP gives "", which no allowlist admits."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # Right to left: each trusted hop appended the address it received the request from.
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded else []
    while hops and _trusted_proxy(address):
        address = hops.pop()
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return ""
    return address


def _trusted_proxy(address: str) -> bool:
    return bool(settings.API_TRUSTED_PROXIES) and _ip_allowed(address, settings.API_TRUSTED_PROXIES)


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'

    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1").split()
        if not header:
            raise exceptions.NotAuthenticated(
                _("Send your API key in the header “Authorization: Bearer <key>”.")
            )
        if header[0].lower() != self.keyword.lower() or len(header) != 2:
            raise AuthenticationFailed(
                _("Use “Authorization: Bearer <key>”."), code="invalid_authorization_header"
            )
        api_key = self._key(header[1])
        self._check(api_key, request)
        self._mark_used(api_key, request)
        return ApiClient(api_key), api_key

    def _key(self, presented: str) -> ApiKey:
        parts = split_key(presented)
        api_key = None
        if parts is not None:
            api_key = (
                ApiKey.objects.select_related("tenant__plan")
                .annotate(tenant_has_api=limits.has_product_expression(Product.Code.API))
                .filter(prefix=parts[0])
                .first()
            )
        # Constant-time comparison of the hashes: timing must not tell how much matched.
        if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(presented)):
            raise AuthenticationFailed(_("This API key is not valid."), code="invalid_key")
        return api_key

    def _check(self, api_key: ApiKey, request) -> None:
        if api_key.is_revoked:
            raise AuthenticationFailed(_("This API key was revoked."), code="revoked_key")
        if api_key.is_expired():
            raise AuthenticationFailed(_("This API key has expired."), code="expired_key")
        tenant = api_key.tenant
        if tenant.is_suspended:
            raise AuthenticationFailed(
                _("The account of %(tenant)s is suspended. Contact support.")
                % {"tenant": tenant.name},
                code="tenant_suspended",
            )
        if not api_key.tenant_has_api:
            raise exceptions.PermissionDenied(
                _("Your plan does not include the API. Ask us to add it."),
                code="product_not_in_plan",
            )
        if api_key.allowed_ips and not _ip_allowed(client_ip(request), api_key.allowed_ips):
            raise exceptions.PermissionDenied(
                _("This API key may not be used from this IP address."), code="ip_not_allowed"
            )

    def _mark_used(self, api_key: ApiKey, request) -> None:
        now = timezone.now()
        if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_PRECISION:
            return
        ip = client_ip(request) or None
        # Conditional: concurrent requests write it once per interval, not once each.
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now, last_used_ip=ip)


def _ip_allowed(ip: str, networks: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in networks)
