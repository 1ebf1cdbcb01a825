"""``/healthz``: one JSON answer on whether this process can reach what it needs.

Database, cache and broker failures make it answer 503 (a load balancer should stop sending
traffic); no running q2 cluster is reported but does not fail the check, since web processes
work without one and the cluster is deployed separately.
"""

import logging
import time
import uuid

from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bus.health import check as check_broker

logger = logging.getLogger(__name__)


def _timed(check):
    started = time.perf_counter()
    try:
        detail = check() or {}
        result = {"status": "ok", **detail}
    except Exception as exc:  # a health check reports every failure, whatever its kind
        logger.warning("health check failed", extra={"check": check.__name__}, exc_info=True)
        # The endpoint is public: name the kind of failure, keep hosts and users in the log.
        result = {"status": "error", "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"vendor": connection.vendor}


def check_cache():
    key = token = f"healthz:{uuid.uuid4().hex}"  # one key per check: processes never collide
    cache = caches["default"]
    cache.set(key, token, timeout=10)
    if cache.get(key) != token:
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)
    return {"backend": type(cache).__name__}


def check_q2():
    from django.conf import settings
    from django_q.models import OrmQ
    from django_q.status import Stat

    clusters = Stat.get_all()
    detail = {
        "broker": "redis" if "redis" in settings.Q_CLUSTER else "orm",
        "clusters": len(clusters),
    }
    if detail["broker"] == "orm":
        detail["queued"] = OrmQ.objects.count()
    if not clusters:
        detail["warning"] = "no qcluster is running"
    return detail


@never_cache
@require_GET
def healthz(request):
    checks = {
        "database": _timed(check_database),
        "cache": _timed(check_cache),
        "broker": _timed(check_broker),
        "q2": _timed(check_q2),
    }
    critical_ok = all(checks[name]["status"] == "ok" for name in ("database", "cache", "broker"))
    body = {"status": "ok" if critical_ok else "error", "checks": checks}
    return JsonResponse(body, status=200 if critical_ok else 503)
