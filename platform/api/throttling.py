"""Requests per minute per key and per tenant, from the tenant's plan, counted in Redis (shared
by every web process) or, in the embedded default, in the local cache.

Fixed one-minute windows: one INCR per counter and request, both counters in one round trip. A
client may pass up to twice its limit across a window's edge, which is the usual price of the
cheap counter.
"""

import math
import threading
import time

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from api.models import ApiKey

WINDOW_SECONDS = 60
# A counter outlives its window a little, so a late request never restarts it at 1.
COUNTER_TTL = WINDOW_SECONDS + 5


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
        key_hits, tenant_hits = _hit_both(
            f"api:rate:key:{api_key.pk}:{window}", f"api:rate:tenant:{api_key.tenant_id}:{window}"
        )
        limits = (
            (key_hits, plan.api_requests_per_minute_per_key),
            (tenant_hits, plan.api_requests_per_minute),
        )
        if any(allowed is not None and hits > allowed for hits, allowed in limits):
            # Whole seconds, at least 1: DRF writes Retry-After truncated.
            self.wait_seconds = math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS)
            return False
        return True

    def wait(self):
        return self.wait_seconds


_client = None
_client_lock = threading.Lock()


def _redis():
    """One client (one connection pool) per process. Django's cache handle is per thread, and
    the ASGI server runs each request in a new thread, so it would connect anew every request."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


def _hit_both(key_counter: str, tenant_counter: str) -> tuple[int, int]:
    """Count one request on both counters: one pipelined round trip to Redis."""
    if not settings.REDIS_URL:
        return _hit_locally(key_counter), _hit_locally(tenant_counter)
    pipe = _redis().pipeline(transaction=False)
    for counter in (key_counter, tenant_counter):
        name = cache.make_key(counter)
        pipe.incr(name)
        pipe.expire(name, COUNTER_TTL)
    key_hits, _ttl, tenant_hits, _ttl = pipe.execute()
    return key_hits, tenant_hits


def _hit_locally(counter: str) -> int:
    cache.add(counter, 0, timeout=COUNTER_TTL)
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=COUNTER_TTL)
        return 1
