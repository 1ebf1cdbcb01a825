import zoneinfo

from django.conf import settings
from django.utils import timezone


class TenantMiddleware:
    """Sets ``request.tenant`` and shows times in the tenant's time zone.

    (A suspended tenant's users are already anonymous here: the auth backend refuses them.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        tenant = user.tenant if user.is_authenticated else None
        request.tenant = tenant
        timezone.activate(zoneinfo.ZoneInfo(tenant.timezone if tenant else settings.TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
