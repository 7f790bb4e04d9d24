"""Health checks for the proxy, the container engine and a load balancer. No login, no
data: ``/healthz`` says the process answers; ``/readyz`` says it can serve, i.e. the
database answers ``SELECT 1`` and the Celery broker answers a ping, each within a couple
of seconds. Neither names a host, a user or a setting."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("health")

#: Seconds each dependency has to answer.
CHECK_TIMEOUT = 2.0


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL statement_timeout = {int(CHECK_TIMEOUT * 1000)}")
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not used"  # tasks run in the web process (the embedded default)
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=CHECK_TIMEOUT,
        socket_timeout=CHECK_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 ``{"status": "ok", "checks": {...}}``, or 503 with the check that failed marked
    ``"failed"`` (the reason goes to the log, not to the answer)."""
    checks: dict[str, str] = {}
    try:
        _database()
        checks["database"] = "ok"
    except Exception:
        logger.exception("readiness: the database did not answer")
        checks["database"] = "failed"
    try:
        checks["broker"] = _broker()
    except Exception:
        logger.exception("readiness: the broker did not answer")
        checks["broker"] = "failed"
    failed = [name for name, state in checks.items() if state == "failed"]
    return JsonResponse(
        {"status": "failed" if failed else "ok", "failed": failed, "checks": checks},
        status=503 if failed else 200,
    )
