"""Tests: always PostgreSQL and the real Redis of the machine; never a silent SQLite."""

from .base import *
from .base import database_from_env, env

SECRET_KEY = "test-only-secret-key"
AUDIT_HMAC_KEY = "test-only-audit-key"
DEBUG = False
DATABASES = {"default": database_from_env("postgres://postgres@127.0.0.1:5432/project8")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("The tests run on PostgreSQL only: set DATABASE_URL to a postgres:// URL.")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
# Eager unless a test starts a real worker process, which sets it to false.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=None)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_ENABLED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The API's rate limit is tested on its own (tests/api); elsewhere it must not get in the way.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="100000/min")
