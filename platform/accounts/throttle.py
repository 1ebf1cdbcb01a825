"""Brute-force protection for the login form: failures are counted per email and per client IP
in the cache (Redis in production, so every process shares the counts)."""

from django.conf import settings
from django.core.cache import cache

# An IP may fail more often than one account: offices share one address.
IP_FAILURE_FACTOR = 4


class LoginThrottle:
    def __init__(self, request, email: str | None):
        ip = (request.META.get("REMOTE_ADDR") or "unknown") if request else "unknown"
        self.keys = {
            f"login-failures:email:{(email or '').strip().lower()}": settings.LOGIN_MAX_FAILURES,
            f"login-failures:ip:{ip}": settings.LOGIN_MAX_FAILURES * IP_FAILURE_FACTOR,
        }

    def is_locked(self) -> bool:
        counts = cache.get_many(self.keys)
        return any(counts.get(key, 0) >= limit for key, limit in self.keys.items())

    def record_failure(self) -> None:
        for key in self.keys:
            # add() starts the lockout window at the first failure; incr() keeps its expiry.
            cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)

    def reset_account(self) -> None:
        email_key = next(iter(self.keys))
        cache.delete(email_key)
