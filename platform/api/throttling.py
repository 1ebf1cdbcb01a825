"""Requests per minute per key and per tenant, from the tenant's plan, counted in the cache
(Redis in production, so every web process shares the counts).

Fixed one-minute windows: one INCR per counter and request. A client may pass up to twice its
limit across a window's edge, which is the usual price of the cheap counter.
"""

import math
import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from api.models import ApiKey

WINDOW_SECONDS = 60


class PlanRateThrottle(BaseThrottle):
    def __init__(self):
        self.wait_seconds = None

    def allow_request(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        plan = api_key.tenant.plan
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        counters = (
            (f"api:rate:key:{api_key.pk}:{window}", plan.api_requests_per_minute_per_key),
            (f"api:rate:tenant:{api_key.tenant_id}:{window}", plan.api_requests_per_minute),
        )
        for cache_key, allowed in counters:
            if allowed is None:
                continue
            if _hit(cache_key) > allowed:
                # Whole seconds, at least 1: DRF writes Retry-After truncated.
                self.wait_seconds = math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS)
                return False
        return True

    def wait(self):
        return self.wait_seconds


def _hit(cache_key: str) -> int:
    cache.add(cache_key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=WINDOW_SECONDS + 5)
        return 1
