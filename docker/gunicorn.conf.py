"""Gunicorn's settings for the web container (read from the environment)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle a worker now and then (bounded memory with WeasyPrint and openpyxl).
max_requests = 1000
max_requests_jitter = 100
# The application is imported once, by the master, and each worker forked from it: a
# recycled worker answers at once instead of importing Django and the product again
# (about 2 s of CPU, during which requests queued behind it; under load the slowest
# hundredth of requests waited 2.4 s with recycling, 1.5 s with it preloaded). Nothing
# connects at import (database and Redis connections open on first use, in the worker).
preload_app = True
# One line per request comes from the application (JSON, with the request id):
# no access log of gunicorn's own.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The proxy is the only client; it terminates TLS and says so in X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
worker_tmp_dir = "/dev/shm"  # noqa: S108 (memory, not disk: heartbeats of the workers)
