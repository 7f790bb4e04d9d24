"""The embedded default: SQLite file, Celery eager, console e-mail, demo users. For `make run`.

The demo users sign in with their password only: the second factor is not required here
(a user who sets one up is still asked for it). Never so in production."""

from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me")
AUDIT_HMAC_KEY = env("AUDIT_HMAC_KEY", default="insecure-local-audit-key-change-me")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEMO_ENABLED = True
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=False)
# Tasks run in the same process here (eager): a line per task run adds nothing to the
# terminal of `make run` (a worker in production logs them).
LOGGING = {
    **LOGGING,
    "loggers": {**LOGGING["loggers"], "celery.app.trace": {"level": "WARNING"}},  # type: ignore[dict-item]
}
