"""Settings shared by every environment. Everything that differs is read from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env file is read when present; the environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # First, so that its templates (base, login, 403, 404) win over the same names that
    # libraries ship (viewflow has its own login, 403 and 404 pages).
    "web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # the product
    "core",
    "organization",
    "estimates",
    "approvals",
    "ledger",
    "workflows",
    "notifications",
    "delegations",
    "reorganisations",
    "reports",
    "accounts",
    "attachments",
    "progress",
    "monitoring",
    "beneficiaries",
    "api",
]

MIDDLEWARE = [
    # First: every answer (a redirect, an error page) carries the request id, and every
    # log line of the request.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.sessions.SessionLimitMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DomainErrorMiddleware",
    # Last: turns a sign-in refused for a lockout into the lockout page (or JSON 429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "notifications.context_processors.bell",
            ],
        },
    },
]


def database_from_env(default: str) -> dict:
    """The database of ``DATABASE_URL``; on PostgreSQL the server binds the parameters, so
    that a change of state can run its statements prepared (``DATABASE_PREPARE_THRESHOLD``,
    ``core.transactions.unit_of_work``)."""
    database = env.db("DATABASE_URL", default=default)
    database["ATOMIC_REQUESTS"] = False
    if database["ENGINE"] == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", True)
        # The planner's cost of reading a page out of order, for storage where that costs
        # about what reading in order does (SSD, or a database held in memory): with
        # PostgreSQL's default (4, for spinning disks) it walked the index of every
        # estimate's waiting date past 20,000 rows of other statuses rather than read the
        # index of one status (the approver's inbox at 100,000 estimates: 4.1 → 0.1 ms).
        # Sent as a startup option; empty sends nothing (a pooling proxy may refuse it).
        cost = env.str("DATABASE_RANDOM_PAGE_COST", default="1.1")
        if cost:
            options.setdefault("options", f"-c random_page_cost={float(cost)}")
    return database


DATABASES = {"default": database_from_env(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Inside a change of state (``core.transactions.unit_of_work``), a statement run this many
# times on a connection is prepared by PostgreSQL, which then plans it once: the
# transitions' statements join several tables and planning them cost more than running
# them (docs/benchmarks.md). 0 turns it off, as a transaction-pooling proxy (PgBouncer in
# transaction mode) needs. Pages are not prepared: a plan made once for every user would
# serve a commune's officer and a district's, or one search word and another, alike.
DATABASE_PREPARE_THRESHOLD = env.int("DATABASE_PREPARE_THRESHOLD", default=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its username and address are locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "anonymous user" row: every page but the login page requires a login.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "estimates:start"
LOGOUT_REDIRECT_URL = "login"

# Signing in (see accounts/ and the README).
# The second factor (an authenticator app, or a recovery code) is required for the roles
# that appraise, approve, disburse and verify settlements, and for administrators; it is
# asked again before approving, disbursing or verifying a settlement when it was last
# passed more than OTP_REAUTH_SECONDS ago. Only the embedded demo turns OTP_REQUIRED off.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=True)
OTP_REAUTH_SECONDS = env.int("OTP_REAUTH_SECONDS", default=900)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Dự án 8")
# A session ends after SESSION_IDLE_SECONDS without a request, and SESSION_ABSOLUTE_SECONDS
# after the login whatever the activity.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_ACTIVITY_RESOLUTION = 60
# Login lockout (django-axes): AXES_FAILURE_LIMIT failed sign-ins for one username from
# one address lock that pair (never an address alone: a commune office shares one) for
# AXES_COOLOFF_MINUTES. Administrators see and lift lockouts in the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
# Its start-up banner on every command adds nothing to the logs.
AXES_VERBOSE = False
# The number of reverse proxies in front of the app that append to X-Forwarded-For (the
# client's address for the lockout is read from there); 0: the connection's own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# API tokens: valid API_TOKEN_DAYS days unless asked for fewer, at most API_TOKEN_MAX_DAYS.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English available.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The project's catalogue first, then the Vietnamese of viewflow's own pages (viewflow ships
# none; ``make messages`` does not touch it, since makemessages only writes to the first).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_viewflow"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files written by the product (attachments of evidence, long report exports) go through
# Django's storage API only (never a path of this machine), so that several web and worker
# containers can share them (a volume, or an S3-compatible store in STORAGES: see README).
# Attachments are never served as media: only the download view, through the access gate,
# sends them.
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# A report export with more rows than this is produced by a Celery task, with progress
# shown to the user; a shorter one is served at once.
REPORTS_EXPORT_ASYNC_ROWS = env.int("REPORTS_EXPORT_ASYNC_ROWS", default=5000)
#: The largest attachment accepted, in bytes (checked from the announced size, before the
#: file is read).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# Headers on every answer, normal and error pages alike. The Content-Security-Policy
# allows no inline script or style (the pages' scripts are files in static/js/); the pages
# of libraries that write inline styles get them below these prefixes only
# (core.middleware.ContentSecurityPolicyMiddleware). Scripts are never inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
CSP_INLINE_STYLE_PREFIXES = ["/workflow/", "/admin/", "/api/v1/docs/", "/api/v1/redoc/"]
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Celery: JSON only, acknowledge late with idempotent tasks, one message at a time per
# worker process, and a visibility timeout longer than any task's hard time limit.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT.")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Publishing gives up quickly when Redis is down (the outbox keeps the event), instead
    # of retrying the connection for ever inside a web request.
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 3,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TIMEZONE = TIME_ZONE
# The audit trail's key (approvals/audit.py): every entry's hash is an HMAC with it, so
# that a chain re-hashed without it fails ``verify_audit``. Never stored in the database;
# kept where the secret key is kept. Changing it needs ``verify_audit`` first and a re-key.
AUDIT_HMAC_KEY = env("AUDIT_HMAC_KEY", default="")
# The file the audit chain's head is anchored in (appended to, every
# AUDIT_ANCHOR_INTERVAL seconds, and on the ``security`` log): keep a copy where the
# database's administrators cannot write; ``verify_audit --anchors FILE`` checks against it.
AUDIT_ANCHOR_FILE = env("AUDIT_ANCHOR_FILE", default=str(BASE_DIR / "var" / "audit-anchors.jsonl"))
AUDIT_ANCHOR_INTERVAL = env.int("AUDIT_ANCHOR_INTERVAL", default=3600)

# Periodic work (``make beat``). Every entry expires before the next one is due, so a
# stopped worker never finds a pile of stale relay runs; nothing is scheduled with a long
# ETA or countdown: reminders are database rows found by the reminder job.
NOTIFICATIONS_RELAY_INTERVAL = env.float("NOTIFICATIONS_RELAY_INTERVAL", default=5.0)
# Each worker also listens for events as they commit and publishes them at once
# (``notifications.relay``, PostgreSQL only); false leaves publishing to the beat's relay.
NOTIFICATIONS_LISTEN = env.bool("NOTIFICATIONS_LISTEN", default=True)
NOTIFICATIONS_REMINDER_INTERVAL = env.float("NOTIFICATIONS_REMINDER_INTERVAL", default=600.0)
CELERY_BEAT_SCHEDULE = {
    "notifications-relay": {
        "task": "notifications.relay_outbox",
        "schedule": NOTIFICATIONS_RELAY_INTERVAL,
        "options": {"expires": NOTIFICATIONS_RELAY_INTERVAL},
    },
    "notifications-reminders": {
        "task": "notifications.reminders_run",
        "schedule": NOTIFICATIONS_REMINDER_INTERVAL,
        "options": {"expires": NOTIFICATIONS_REMINDER_INTERVAL},
    },
    "notifications-digest": {
        "task": "notifications.digests_run",
        "schedule": crontab(hour=env.int("NOTIFICATIONS_DIGEST_HOUR", default=7), minute=0),
        "options": {"expires": 3600},
    },
    "progress-reminders": {
        "task": "progress.remind_missing_reports",
        "schedule": crontab(hour=env.int("PROGRESS_REMINDER_HOUR", default=8), minute=0),
        "options": {"expires": 3600},
    },
    "estimates-tally-compact": {
        "task": "estimates.tally_compact",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "audit-anchor": {
        "task": "approvals.audit_anchor",
        "schedule": AUDIT_ANCHOR_INTERVAL,
        "options": {"expires": AUDIT_ANCHOR_INTERVAL},
    },
}

# Notifications (see notifications/ and docs/ARCHITECTURE.md).
# Working days a stage may take before reminders and escalation; an administrator
# overrides these per stage in the admin (notifications.StageDeadline).
NOTIFICATIONS_STAGE_DEADLINES = {"review": 5, "appraisal": 5, "approval": 3}
NOTIFICATIONS_ESCALATE_AFTER = 2  # working days after the deadline
# Where a link to an estimate points (appended to SITE_URL in e-mails).
NOTIFICATIONS_ESTIMATE_PATH = "/estimates/{pk}/"
NOTIFICATIONS_DEFAULT_LANGUAGE = "vi"
NOTIFICATIONS_EMAIL_SUBJECT_PREFIX = env("NOTIFICATIONS_EMAIL_SUBJECT_PREFIX", default="Dự án 8")
# An e-mail is tried at most this many times, then recorded as failed.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=3)
# An event published but not fully handled after this many seconds is published again
# (a worker killed in the middle of it, a broker that lost the message).
NOTIFICATIONS_REPUBLISH_AFTER = env.float("NOTIFICATIONS_REPUBLISH_AFTER", default=600.0)
# An event is published at most this many times, then left for an administrator.
NOTIFICATIONS_MAX_PUBLISH = env.int("NOTIFICATIONS_MAX_PUBLISH", default=10)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="du-an-8@localhost")
# The address links in e-mails point to.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# The REST API (/api/v1/): token or session authentication, JSON only, paginated lists with
# a stable order, a request rate per user (one token per user), errors as
# {"detail": ..., "field": ...}. See api/ and the README.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="120/min")
API_PAGE_SIZE = 50
#: How long a stored Idempotency-Key answer is replayed (hours).
API_IDEMPOTENCY_HOURS = 24
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.DepthLimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StablePageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerUserRateThrottle"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    # Swagger UI and ReDoc served from this site, not a CDN (closed networks, slow links).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Project 8 estimates API",
    "DESCRIPTION": (
        "Plans, activity estimates, their lines, versions and history, the tasks waiting "
        "for you, and the transitions of the approval chain (submit, forward, return, "
        "appraise, approve, withdraw, disburse, settle, verify settlement) of Project 8 "
        "(Plan 117/KH-UBND, Phong Thổ district, Lai Châu).\n\n"
        "**Money** is always an integer number of whole Vietnamese đồng (VND), never a "
        "decimal: 7.588.630.000 ₫ is `7588630000`.\n\n"
        "**Authentication**: `Authorization: Token <key>`; get the key with "
        "`POST /api/v1/token/`.\n\n"
        "**Retries**: every write accepts an `Idempotency-Key` header; a retry with the same "
        "key and body replays the first answer instead of acting twice.\n\n"
        '**Errors** are `{"detail": message, "field": name or null}`: 400 bad input, '
        "401 not authenticated, 403 your role may not, 404 no such object (or not yours to "
        "see), 409 someone acted first, 422 idempotency key reused with another body, "
        "429 too many requests."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "ENUM_NAME_OVERRIDES": {
        "SourceEnum": "estimates.models.Source",
        "LevelEnum": "estimates.models.Level",
        "EstimateStatusEnum": "estimates.models.EstimateStatus",
        "AttachmentKindEnum": "attachments.models.AttachmentKind",
        "DisbursementKindEnum": "ledger.models.DisbursementKind",
        "ReportStatusEnum": "progress.models.ReportStatus",
        "NoteStatusEnum": "monitoring.models.NoteStatus",
        "AmendmentStatusEnum": "estimates.models.AmendmentStatus",
        "SettlementStatusEnum": "ledger.models.SettlementStatus",
    },
}

# Demo users exist only where this is true (embedded default and development).
DEMO_ENABLED = False

# The plan loaded by default by `manage.py load_plan` and `make run`.
DEFAULT_PLAN_FILE = BASE_DIR / "estimates" / "data" / "phong-tho-2024.yaml"

# Logs: one line per record on standard error, JSON in production (LOG_FORMAT=json: one
# object per line with the request id and every extra field) or text. Every handler masks
# secrets and national ID numbers and adds the request id (core.logs). Security events
# (refusals, logins, failed logins) go to the "security" logger with their fields.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logs.RequestIdFilter"},
        "redact": {"()": "core.logs.RedactFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per request comes from core.middleware.RequestIdMiddleware.
        "django.server": {"level": "WARNING"},
        # WeasyPrint reports every step of every PDF at INFO, and fontTools each subset.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
