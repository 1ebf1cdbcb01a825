"""Alrea settings, read from the environment (docs/configuration.md lists every variable).

With nothing set the platform runs on embedded defaults: SQLite, local-memory cache, in-memory
channel layer, filesystem media and the in-process bus. Setting DATABASE_URL, REDIS_URL,
RABBITMQ_URL and S3_BUCKET moves each piece to its real service.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from alrea.env import env

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env.str("ALREA_VAR_DIR", str(BASE_DIR / "var")))

ALREA_ENV = env.choice("ALREA_ENV", ("development", "production"), "development")
PRODUCTION = ALREA_ENV == "production"

# --- Core -----------------------------------------------------------------------------------
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", _DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when ALREA_ENV=production.")
# Also outside production mode: a server with DEBUG off is serving someone, so it must not sign
# sessions with the public development key.
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "A real SECRET_KEY (50+ random characters) is needed when DEBUG is off."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when ALREA_ENV=production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "import_export",
    "django_q",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs' JavaScript and CSS, served by us (offline)
    # Alrea
    "tenancy",
    "accounts",
    "contacts",
    "whatsapp",
    "chat",
    "campaigns",
    "api",
    "bus",
    "notifications",
    "media",
    "consumers",
    "admin_ext",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenancy.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if PRODUCTION:
    # daphne serves no static files; in development the ASGI app wraps a static handler.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "alrea.urls"
WSGI_APPLICATION = "alrea.wsgi.application"
ASGI_APPLICATION = "alrea.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "admin_ext" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
_database_url = env.url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if PRODUCTION:
    # The embedded defaults are for one laptop: per-process cache and throttle counts, a bus
    # that loses messages on restart. Production names its services.
    _missing = [name for name in ("DATABASE_URL", "REDIS_URL", "RABBITMQ_URL") if not env.str(name)]
    if _missing:
        raise ImproperlyConfigured(
            f"ALREA_ENV=production needs {', '.join(_missing)} (see docs/configuration.md)."
        )
# Queue consumers and the webhook worker keep theirs (alrea.workers).
WORKER_DATABASE_CONN_MAX_AGE = env.int("WORKER_DATABASE_CONN_MAX_AGE", 300, min_value=0)
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url,
            # 0: under ASGI each request may run on another thread; persistent connections
            # would pile up (Django's advice). Use a pooler (PgBouncer) to save connects.
            conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 0, min_value=0),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "alrea.sqlite3",
            # The embedded default serves requests, q2 and consumers from one file.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

# --- Redis: cache and channel layer (each under its own key prefix) --------------------------
REDIS_URL = env.url("REDIS_URL", ("redis", "rediss"))
if REDIS_URL:
    _cache_prefix = env.str("CACHE_KEY_PREFIX", "alrea:cache")
    # Bounded waits: a Redis outage must answer errors, not hang requests and /healthz.
    _redis_options = {"socket_connect_timeout": 2, "socket_timeout": 2}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix,
            "OPTIONS": _redis_options,
        },
        "q2": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{_cache_prefix}:q2",
            "OPTIONS": _redis_options,
        },
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s timeout by default, as long as channels_redis
                # blocks on BZPOPMIN: an idle socket's receive would die now and then.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": env.str("CHANNELS_PREFIX", "alrea:ws"),
            },
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # q2's cluster statistics must be shared by the web and qcluster processes.
        "q2": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "q2-cache",
        },
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Message bus (bus/) ---------------------------------------------------------------------
RABBITMQ_URL = env.url("RABBITMQ_URL", ("amqp", "amqps"))
BUS = {
    "TRANSPORT": "rabbitmq" if RABBITMQ_URL else "inprocess",
    "URL": RABBITMQ_URL,
    # Prefix for every queue and exchange name, so several deployments (or test runs) can share
    # one broker without seeing each other's messages.
    "PREFIX": env.str("BUS_PREFIX", ""),
    "MAX_ATTEMPTS": env.int("BUS_MAX_ATTEMPTS", 5, min_value=1),
    "PREFETCH": env.int("BUS_PREFETCH", 10, min_value=1),
    "RETRY_DELAY_MS": env.int("BUS_RETRY_DELAY_MS", 5000, min_value=0),
    # How long publish() waits for the broker's confirm before raising BusUnavailable.
    "PUBLISH_TIMEOUT_SECONDS": env.int("BUS_PUBLISH_TIMEOUT_SECONDS", 5, min_value=1),
    # How long a stopping consumer lets handlers in flight finish.
    "DRAIN_TIMEOUT_SECONDS": env.int("BUS_DRAIN_TIMEOUT_SECONDS", 30, min_value=1),
    # Extra modules that register handlers, beside consumers.HANDLER_MODULES.
    "HANDLER_MODULES": env.list("BUS_HANDLER_MODULES"),
}

# --- Background jobs and schedules (django-q2) ----------------------------------------------
# The ORM broker is the default everywhere: jobs (imports, reports) are few and must survive a
# restart, and our Redis keeps nothing on disk. Q2_BROKER=redis trades that for lower latency.
Q2_BROKER = env.choice("Q2_BROKER", ("orm", "redis"), "orm")
_q2_timeout = env.int("Q2_TIMEOUT", 1800, min_value=1)
Q_CLUSTER = {
    "name": "alrea",
    "workers": env.int("Q2_WORKERS", 2, min_value=1),
    "timeout": _q2_timeout,
    "retry": _q2_timeout + 60,  # must exceed timeout
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "label": _("Background jobs"),
    "cache": "q2",
}
if Q2_BROKER == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("Q2_BROKER=redis needs REDIS_URL.")
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- WhatsApp gateway (Evolution API) -------------------------------------------------------
# The default server for every tenant; platform staff can point a tenant at another one in the
# admin. Unset, it is the Evolution simulator that `.ci/serve` starts beside the platform.
EVOLUTION_API_URL = env.url("EVOLUTION_API_URL", ("http", "https"))
EVOLUTION_API_KEY = env.str("EVOLUTION_API_KEY")
if PRODUCTION and not (EVOLUTION_API_URL and EVOLUTION_API_KEY):
    raise ImproperlyConfigured(
        "EVOLUTION_API_URL and EVOLUTION_API_KEY must be set when ALREA_ENV=production."
    )
EVOLUTION_API_URL = EVOLUTION_API_URL or "http://127.0.0.1:8081"
EVOLUTION_API_KEY = EVOLUTION_API_KEY or "alrea-simulator-global-key"
EVOLUTION_TIMEOUT_SECONDS = env.int("EVOLUTION_TIMEOUT_SECONDS", 20, min_value=1)
# Where Evolution reaches this platform: the base of the webhook URLs set on each instance.
PUBLIC_URL = (env.url("PUBLIC_URL", ("http", "https")) or "http://127.0.0.1:8000").rstrip("/")
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", 5 * 1024 * 1024, min_value=1024)
WEBHOOK_EVENT_RETENTION_DAYS = env.int("WEBHOOK_EVENT_RETENTION_DAYS", 30, min_value=1)
# Notifications (notifications.services.purge_read).
NOTIFICATION_RETENTION_DAYS = env.int("NOTIFICATION_RETENTION_DAYS", 90, min_value=1)
# Campaign engine (campaigns/engine.py).
CAMPAIGN_IN_FLIGHT_PER_NUMBER = env.int("CAMPAIGN_IN_FLIGHT_PER_NUMBER", 2, min_value=1)
CAMPAIGN_MAX_ATTEMPTS = env.int("CAMPAIGN_MAX_ATTEMPTS", 3, min_value=1)
CAMPAIGN_RETRY_SECONDS = env.int("CAMPAIGN_RETRY_SECONDS", 30, min_value=1)
CAMPAIGN_RECONCILE_AFTER_SECONDS = env.int("CAMPAIGN_RECONCILE_AFTER_SECONDS", 300, min_value=1)
CHAT_RECONCILE_AFTER_SECONDS = env.int(
    "CHAT_RECONCILE_AFTER_SECONDS", 120, min_value=1, max_value=240
)
# Files agents send from the chat page (chat.uploads): WhatsApp's own limit for media is 16 MB.
CHAT_UPLOAD_MAX_BYTES = env.int("CHAT_UPLOAD_MAX_BYTES", 16 * 1024 * 1024, min_value=1024)
CAMPAIGN_TYPING_MS = env.int("CAMPAIGN_TYPING_MS", 1500, min_value=0)
# Fernet keys for secrets stored in the database (instance tokens); see alrea/encryption.py.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")

# --- Media (S3 when S3_BUCKET is set, else the filesystem) ----------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_URL = "/static/"
S3_BUCKET = env.str("S3_BUCKET")
# The S3Storage options; media/storage.py builds its S3 backend from them (None: no S3).
MEDIA_S3 = None
if S3_BUCKET:
    MEDIA_S3 = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env.url("S3_ENDPOINT_URL", ("http", "https")),
        "access_key": env.str("S3_ACCESS_KEY_ID", required=True),
        "secret_key": env.str("S3_SECRET_ACCESS_KEY", required=True),
        "region_name": env.str("S3_REGION", "us-east-1"),
        "signature_version": "s3v4",  # presigned URLs must match what AWS checks
        "default_acl": None,
        "querystring_auth": True,
        # Browsers get signed URLs only through the media views: short-lived on purpose.
        "querystring_expire": env.int("S3_URL_EXPIRE_SECONDS", 300, min_value=30),
        "file_overwrite": False,
    }
    _media_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": MEDIA_S3}
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Inbound media larger than this is not downloaded (the attachment fails with the reason).
MEDIA_MAX_DOWNLOAD_BYTES = env.int("MEDIA_MAX_DOWNLOAD_BYTES", 100 * 1024 * 1024, min_value=1024)
# A profile picture larger than this is not cached.
PROFILE_PICTURE_MAX_BYTES = env.int("PROFILE_PICTURE_MAX_BYTES", 1024 * 1024, min_value=1024)
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailRoleBackend"]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"  # unfold's login page has no `next` field
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", 5, min_value=1)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", 900, min_value=1)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000, min_value=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", False)
    if env.bool("TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", 12 * 3600, min_value=60)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Language and time: Brazilian by default, stored in UTC ---------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Portuguese (Brazil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "platform" / "locale"]
USE_I18N = True
TIME_ZONE = "America/Sao_Paulo"  # shown to platform staff; tenants see their own timezone
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
DEFAULT_PHONE_REGION = env.str("DEFAULT_PHONE_REGION", "BR")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"context": {"()": "alrea.logs.ContextFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "context"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "aiormq": {"level": "WARNING"},
        "aio_pika": {"level": "WARNING"},
        "django_q": {"level": env.str("Q2_LOG_LEVEL", "INFO").upper()},
    },
}

# --- Admin theme ----------------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": "Alrea",
    "SITE_HEADER": "Alrea",
    "SITE_SUBHEADER": _("Campaigns and service"),
    "SITE_URL": "/",
    "SITE_SYMBOL": "forum",
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": "/static/admin_ext/favicon.svg"},
    ],
    "SHOW_LANGUAGES": True,
    "ENVIRONMENT": "admin_ext.navigation.environment_badge",
    "DASHBOARD_CALLBACK": "admin_ext.dashboard.dashboard_callback",
    "LOGIN": {"form": "accounts.forms.LoginForm"},
    "COLORS": {
        "primary": {
            "50": "oklch(97.9% .021 166.113)",
            "100": "oklch(95% .052 163.051)",
            "200": "oklch(90.5% .093 164.15)",
            "300": "oklch(84.5% .143 164.978)",
            "400": "oklch(76.5% .177 163.223)",
            "500": "oklch(69.6% .17 162.48)",
            "600": "oklch(59.6% .145 163.225)",
            "700": "oklch(50.8% .118 165.612)",
            "800": "oklch(43.2% .095 166.913)",
            "900": "oklch(37.8% .077 168.94)",
            "950": "oklch(26.2% .051 172.552)",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "admin_ext.navigation.sidebar",
    },
}

# --- Token API (api/) ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PlanRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirst",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Alrea API",
    "DESCRIPTION": "The token API for integrators; the guide is docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {"securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer"}}},
    "SECURITY": [{"ApiKey": []}],
    "ENUM_NAME_OVERRIDES": {
        "MessageStatusEnum": "chat.models.Message.Status",
        "ConversationStatusEnum": "chat.models.Conversation.Status",
    },
}
# How long an Idempotency-Key and the first answer to its request are kept.
API_IDEMPOTENCY_TTL_HOURS = env.int("API_IDEMPOTENCY_TTL_HOURS", 24, min_value=1)
# Webhook URLs on loopback or private networks: refused in production (SSRF), allowed for a
# laptop's receiver in development.
API_WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("API_WEBHOOK_ALLOW_PRIVATE_URLS", not PRODUCTION)
# How long finished webhook deliveries (delivered or given up) stay in the admin's log.
API_WEBHOOK_LOG_RETENTION_DAYS = env.int("API_WEBHOOK_LOG_RETENTION_DAYS", 30, min_value=1)
# Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For the API believes when it
# checks a key's IP allowlist; from any other peer the header is ignored (it is forgeable).
API_TRUSTED_PROXIES = env.list("API_TRUSTED_PROXIES")
for _proxy in API_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"API_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from None

HEALTHZ_TIMEOUT_SECONDS = env.int("HEALTHZ_TIMEOUT_SECONDS", 3, min_value=1)
