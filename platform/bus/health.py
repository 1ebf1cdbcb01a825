from django.conf import settings


def check() -> dict:
    """Raise when the configured transport cannot take messages; else describe it."""
    return {"transport": settings.BUS["TRANSPORT"]}
