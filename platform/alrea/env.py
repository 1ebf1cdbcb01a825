"""Typed readers for settings that come from the environment.

Every reader fails fast with the variable's name in the message, so a typo in a deployment shows
up at start-up instead of as odd behaviour later.
"""

from __future__ import annotations  # the methods below shadow builtin names

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    """Reads variables from a mapping (``os.environ`` by default; tests pass their own)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._raw(name)
        if value:
            return value
        if required:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default

    def bool(self, name: str, default: bool = False) -> bool:
        value = self._raw(name)
        if not value:  # unset or empty: an empty value never switches a protection off
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}.")

    def int(
        self, name: str, default: int, *, min_value: int | None = None, max_value: int | None = None
    ) -> int:
        value = self._raw(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from None
        if min_value is not None and number < min_value:
            raise ImproperlyConfigured(f"{name} must be at least {min_value}, got {number}.")
        if max_value is not None and number > max_value:
            raise ImproperlyConfigured(f"{name} must be at most {max_value}, got {number}.")
        return number

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._raw(name)
        if not value:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = (self._raw(name) or default).lower()
        if value not in choices:
            raise ImproperlyConfigured(
                f"{name} must be one of {', '.join(choices)}, got {value!r}."
            )
        return value

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        """A URL whose scheme is one of ``schemes`` and that names a host, or None when unset."""
        value = self._raw(name)
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            raise ImproperlyConfigured(
                f"{name} must start with {' or '.join(s + '://' for s in schemes)}, "
                f"got {parts.scheme or 'no scheme'!r}."
            )
        if parts.scheme != "sqlite" and not parts.hostname:
            raise ImproperlyConfigured(f"{name} must name a host.")
        return value


env = Env()
