"""Production: every secret and address from the environment; no demo users, ever.
Behind a reverse proxy that terminates TLS (docker/Caddyfile) and sets X-Forwarded-Proto.
``python manage.py check --deploy --fail-level WARNING`` passes with these settings
(``make check`` runs it)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import BASE_DIR, database_from_env, env

DEBUG = False
DEMO_ENABLED = False
# The second factor is always required of the roles that need it here.
OTP_REQUIRED = True
# Read here again (not taken from base), so that this module gives the same answer
# whenever it is loaded.
SECRET_KEY = env("SECRET_KEY", default="")
DATABASES = {"default": database_from_env(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
# Rotation: the new key in SECRET_KEY, the old ones here (comma-separated) until the
# sessions and links signed with them have expired; then remove them (README).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
AUDIT_HMAC_KEY = env("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be set in production.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL.")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
)

# HTTPS only: the proxy terminates TLS and says so in X-Forwarded-Proto; plain HTTP is
# redirected, except the health checks the container engine makes from inside.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The cache (the API's request counts per user) is shared by every web process and
# container when CACHE_URL names a Redis (compose.yaml: database 1 of the broker's Redis);
# without it each process counts on its own.
# What is kept there (the API's counts, each user's grants under a version token) belongs
# to one database: by default its keys are named after the database (host, port, name),
# so sites sharing a Redis with databases of their own never read each other's keys;
# CACHE_KEY_PREFIX sets another name.
CACHE_URL = env("CACHE_URL", default="")
_DB = DATABASES["default"]
CACHE_KEY_PREFIX = env(
    "CACHE_KEY_PREFIX",
    default=f"{_DB.get('HOST') or 'local'}:{_DB.get('PORT') or 5432}/{_DB.get('NAME')}",
)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }

# Static files keep their names (viewflow's stylesheets point at fonts it does not ship,
# which a hashing storage refuses): the proxy lets browsers cache them for an hour.

# JSON logs by default (one object per line on standard error, collected by the engine).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    **LOGGING,
    "handlers": {
        "console": {
            **LOGGING["handlers"]["console"],  # type: ignore[index]
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
}
# Celery's worker and beat log through LOGGING too (JSON), not through a handler of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
