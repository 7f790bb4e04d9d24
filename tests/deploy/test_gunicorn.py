"""The production settings under gunicorn, as the web container runs them (its
docker/gunicorn.conf.py), against this machine's PostgreSQL (the test database) and Redis:
the login page and /readyz answer 200 with the security headers, the log lines are JSON
with the request id, and the server stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from .conftest import TEST_AUDIT_KEY, TEST_PRODUCTION_KEY

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
HOST = "estimates.example.org"

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": HOST, "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_production_settings_under_gunicorn(db: None, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": TEST_PRODUCTION_KEY,
        "AUDIT_HMAC_KEY": TEST_AUDIT_KEY,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_URL": settings.CELERY_BROKER_URL,
        "ALLOWED_HOSTS": HOST,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "2",
        "LOG_FORMAT": "json",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            [GUNICORN, "config.wsgi", "--config", "docker/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)

        status, headers, body = get(port, "/accounts/login/")
        assert status == 200, body[:2000]
        assert b'name="password"' in body
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert "Secure" in headers.get("Set-Cookie", "Secure")
        login_request_id = headers["X-Request-ID"]

        status, headers, body = get(port, "/readyz")
        assert status == 200, body
        assert json.loads(body) == {
            "status": "ok",
            "failed": [],
            "checks": {"database": "ok", "broker": "ok"},
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert server.returncode == 0, log.read_text()[-3000:]

    lines: list[dict[str, Any]] = []
    for raw in log.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    login = [r for r in lines if r.get("path") == "/accounts/login/"]
    assert login and login[0]["request_id"] == login_request_id
    assert login[0]["status"] == 200


def test_the_api_rate_limit_is_shared_by_every_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the production settings with CACHE_URL, the cache (and so the API's count of
    requests per user) is Redis, not the memory of one process."""
    from .conftest import production_settings

    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    caches = production_settings(monkeypatch)["CACHES"]
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
