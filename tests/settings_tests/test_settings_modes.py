"""The settings module itself, loaded in a fresh process with a chosen environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 60
SERVICES = {
    "DATABASE_URL": "postgres://u@db.internal:5432/alrea",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "RABBITMQ_URL": "amqp://u:p@mq.internal:5672/%2F",
    "EVOLUTION_API_URL": "https://evolution.internal",
    "EVOLUTION_API_KEY": "global-key",
}
_SETTINGS_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "RABBITMQ_URL",
    "EVOLUTION_API_URL",
    "EVOLUTION_API_KEY",
    "S3_BUCKET",
    "ALREA_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
)

PROBE = """
import json, sys
sys.path[:0] = ["platform", "."]
from django.conf import settings
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "bus": settings.BUS["TRANSPORT"],
    "media": settings.STORAGES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "secure_cookies": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "hsts": getattr(settings, "SECURE_HSTS_SECONDS", 0),
    "csrf_origins": settings.CSRF_TRUSTED_ORIGINS,
}))
"""


def load_settings(tmp_path, **variables):
    environ = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARS}
    environ.update(
        DJANGO_SETTINGS_MODULE="alrea.settings", ALREA_VAR_DIR=str(tmp_path), **variables
    )
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nothing_set_means_the_embedded_defaults(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["db"] == "django.db.backends.sqlite3"
    assert loaded["cache"].endswith("LocMemCache")
    assert loaded["layer"].endswith("InMemoryChannelLayer")
    assert loaded["bus"] == "inprocess"
    assert loaded["media"].endswith("FileSystemStorage")
    assert loaded["debug"] is True


def test_service_urls_switch_to_the_real_services(tmp_path):
    result = load_settings(
        tmp_path,
        **SERVICES,
        S3_BUCKET="media",
        S3_ACCESS_KEY_ID="id",
        S3_SECRET_ACCESS_KEY="secret",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["db"] == "django.db.backends.postgresql"
    assert loaded["cache"].endswith("RedisCache")
    assert loaded["layer"] == "channels_redis.core.RedisChannelLayer"
    assert loaded["bus"] == "rabbitmq"
    assert loaded["media"] == "storages.backends.s3.S3Storage"


def test_production_refuses_debug(tmp_path):
    result = load_settings(
        tmp_path,
        ALREA_ENV="production",
        DEBUG="true",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="alrea.example",
    )
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_refuses_a_missing_or_weak_secret_key(tmp_path):
    missing = load_settings(
        tmp_path, ALREA_ENV="production", ALLOWED_HOSTS="alrea.example", **SERVICES
    )
    weak = load_settings(
        tmp_path,
        ALREA_ENV="production",
        ALLOWED_HOSTS="alrea.example",
        SECRET_KEY="short",
        **SERVICES,
    )
    for result in (missing, weak):
        assert result.returncode != 0
        assert "A real SECRET_KEY" in result.stderr


def test_production_sets_secure_cookies_hsts_and_trusted_origins(tmp_path):
    result = load_settings(
        tmp_path,
        ALREA_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="alrea.example",
        CSRF_TRUSTED_ORIGINS="https://alrea.example",
        **SERVICES,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is False
    assert loaded["secure_cookies"] is True
    assert loaded["hsts"] == 31536000
    assert loaded["csrf_origins"] == ["https://alrea.example"]


def test_a_malformed_service_url_stops_start_up(tmp_path):
    result = load_settings(tmp_path, REDIS_URL="localhost:6379")
    assert result.returncode != 0
    assert "REDIS_URL must start with redis://" in result.stderr


def test_production_refuses_the_embedded_defaults(tmp_path):
    result = load_settings(
        tmp_path,
        ALREA_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="alrea.example",
        REDIS_URL=SERVICES["REDIS_URL"],
    )
    assert result.returncode != 0
    assert "needs DATABASE_URL, RABBITMQ_URL" in result.stderr


def test_production_refuses_to_run_without_an_evolution_server(tmp_path):
    services = {k: v for k, v in SERVICES.items() if not k.startswith("EVOLUTION")}
    result = load_settings(
        tmp_path,
        ALREA_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="alrea.example",
        **services,
    )
    assert result.returncode != 0
    assert "EVOLUTION_API_URL and EVOLUTION_API_KEY must be set" in result.stderr


def test_debug_off_refuses_the_development_key_even_outside_production(tmp_path):
    result = load_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "A real SECRET_KEY" in result.stderr
