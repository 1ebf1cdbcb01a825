"""Secrets at rest: a model field encrypted with Fernet (AES-128-CBC + HMAC-SHA256).

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, the first one encrypts, all
of them decrypt, so a key can be rotated without rewriting rows first). Without it a key is
derived from SECRET_KEY, which keeps the embedded default working with no set-up.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _cipher() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(f"alrea-field-encryption:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid key: {exc}") from None


def encrypt(value: str) -> str:
    return _cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An encrypted value cannot be read with the current FIELD_ENCRYPTION_KEYS "
            "(was a key removed, or SECRET_KEY changed without FIELD_ENCRYPTION_KEYS?)."
        ) from None


class EncryptedTextField(models.TextField):
    """A string stored encrypted. It cannot be searched or filtered on, by design."""

    def from_db_value(self, value, expression, connection):
        return value if not value else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if not value else encrypt(value)
