"""The demo's API key for Acme: a published value, like the demo password, so the curl examples
in docs/api.md work as written against `.ci/serve`. seed_demo refuses to run in production."""

from api import scopes, services
from api.models import ApiKey

DEMO_KEY = "alrea_00ac3e00_demo-key-for-the-acme-tenant-only"
DEMO_KEY_NAME = "Demo integration"


def seed_api_key(tenant) -> str:
    """Create (or restore) Acme's demo key with every scope; returns the key."""
    prefix, _secret = services.split_key(DEMO_KEY)
    ApiKey.objects.update_or_create(
        prefix=prefix,
        defaults={
            "tenant": tenant,
            "name": DEMO_KEY_NAME,
            "key_hash": services.hash_key(DEMO_KEY),
            "scopes": list(scopes.ALL),
            "expires_at": None,
            "allowed_ips": [],
            "revoked_at": None,
        },
    )
    return DEMO_KEY
