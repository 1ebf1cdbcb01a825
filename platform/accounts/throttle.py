"""Brute-force protection for the login form.

Attempts are counted per e-mail and per client IP in the cache (Redis in production, so every
process shares the counts). An attempt is counted *before* the password is checked, so parallel
requests cannot all slip under the limit; a successful login takes its attempt back.

Behind a reverse proxy the client IP is only right when daphne runs with ``--proxy-headers``
(docs/operations.md); otherwise every user shares the proxy's address and its (higher) limit.
"""

import contextlib

from django.conf import settings
from django.core.cache import cache

# An IP may fail more often than one account: offices share one address.
IP_FAILURE_FACTOR = 4


class LoginThrottle:
    def __init__(self, request, email: str | None):
        ip = (request.META.get("REMOTE_ADDR") or "unknown") if request else "unknown"
        self.email_key = f"login-attempts:email:{(email or '').strip().lower()}"
        self.ip_key = f"login-attempts:ip:{ip}"
        self.limits = {
            self.email_key: settings.LOGIN_MAX_FAILURES,
            self.ip_key: settings.LOGIN_MAX_FAILURES * IP_FAILURE_FACTOR,
        }

    def attempt(self) -> bool:
        """Count this attempt; False when the e-mail or the IP is over its limit."""
        allowed = True
        for key, limit in self.limits.items():
            # add() starts the lockout window at the first attempt; incr() keeps its expiry.
            cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
                count = 1
            allowed = allowed and count <= limit
        return allowed

    def succeeded(self) -> None:
        cache.delete(self.email_key)
        with contextlib.suppress(ValueError):  # the window expired meanwhile
            cache.decr(self.ip_key)
