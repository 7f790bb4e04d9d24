"""Web: pages per second of the production settings under gunicorn on this machine.

The production settings (JSON logs, the security middleware, PostgreSQL, Redis) under
gunicorn with ``docker/gunicorn.conf.py``, against a database ``bench_web`` (created,
loaded with the plan, the demo users and demo estimates, dropped). Signed-in clients, each
its own session, read the estimate list (25 a page) and an estimate's page as fast as they
can for ``BENCH_SECONDS`` (default 10; quick 2) per configuration; printed per number of gunicorn
processes and clients: pages per second, median and 95th-percentile latency, errors.
Everything (PostgreSQL, Redis, the clients) shares this machine's CPUs, as on a one-machine
deployment. Environment: ``BENCH_SECONDS``, ``BENCH_WEB_WORKERS`` (default ``1,2,4``),
``CELERY_BROKER_URL``, ``DATABASE_URL`` (the server).
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from statistics import median
from typing import Any

from bench._support import ROOT, django_database, percentile, prefixed

PASSWORD = "bench-web-password"  # noqa: S105 (a throw-away account of a throw-away database)
KEY = "bench-only-" + "Qm4Zt8Wx2Lp6Rv0Kc3Nb7Hy1Jd5Fg9Ks" * 2


def _prepare() -> tuple[list[str], dict[str, list[int]]]:
    """Demo data; the demo users get a password production's hasher reads. Returns the
    usernames and, for each, the ids of estimates they may see (a commune officer opening
    another commune's estimate is answered 404, which earlier runs counted as errors)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.core.management import call_command

    from approvals.access import estimate_list_for_user

    for command in ("load_plan", "load_issuers", "load_norms", "seed_demo"):
        call_command(command, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    hasher = PBKDF2PasswordHasher()
    users = get_user_model().objects.filter(username__in=["hoi.huyen", "hoi.silolau", "hoi.namxe"])
    for user in users:
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
    names = sorted(u.username for u in users)
    estimates = {
        user.username: list(estimate_list_for_user(user).values_list("pk", flat=True)[:20])
        for user in users
    }
    if settings.DATABASES["default"]["NAME"] != prefixed("web"):
        raise RuntimeError("not the benchmark's own database")
    return names, estimates


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server(
    database: str, port: int, workers: int, log: Path, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": KEY,
        "AUDIT_HMAC_KEY": KEY[::-1],
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"
        ),
        "CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
        "CACHE_URL": str(settings.CELERY_BROKER_URL),
        # A namespace of its own in the shared Redis: what an earlier run kept there (the
        # grants of its users, whose ids this run's database gives to other people) is
        # not this server's. This process changes the grants in its own memory cache.
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP between the clients and gunicorn (the proxy's part is not measured).
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(workers),
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    proc = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "-c",
            "docker/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _client(base: str, username: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the login page")
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1), "username": username, "password": PASSWORD}
    ).encode()
    opener.open(f"{base}/accounts/login/", data=data, timeout=10).read()
    answer = opener.open(f"{base}/estimates/", timeout=10)
    if answer.status != 200 or "/accounts/login/" in answer.url:
        raise RuntimeError(f"{username} is not signed in")
    return opener


def _measure(
    base: str, users: list[str], estimates: dict[str, list[int]], clients: int, seconds: float
) -> tuple[int, list[float], int, dict[str, int]]:
    openers = [_client(base, users[i % len(users)]) for i in range(clients)]
    latencies: list[float] = []
    errors = 0
    reasons: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(opener: urllib.request.OpenerDirector, n: int) -> None:
        nonlocal errors
        mine = estimates[users[n % len(users)]]
        i = n
        while time.monotonic() < stop_at:
            i += 1
            path = "/estimates/" if i % 2 or not mine else f"/estimates/{mine[i % len(mine)]}/"
            started = time.monotonic()
            failure = ""
            try:
                opener.open(f"{base}{path}", timeout=30).read()
            except OSError as exc:  # HTTPError (an answer other than 2xx/3xx) included
                failure = f"{path.split('/')[1]} {getattr(exc, 'code', '') or type(exc).__name__}"
            elapsed = time.monotonic() - started
            with lock:
                if not failure:
                    latencies.append(elapsed)
                else:
                    errors += 1
                    reasons[failure] = reasons.get(failure, 0) + 1

    threads = [threading.Thread(target=loop, args=(o, n)) for n, o in enumerate(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), latencies, errors, reasons


def run(quick: bool = False) -> dict[str, Any]:
    from bench._support import result, tiny

    default_seconds = "3" if tiny() else "2" if quick else "10"
    seconds = float(os.environ.get("BENCH_SECONDS", default_seconds))
    default_workers = "2" if tiny() or quick else "1,2,4"
    configurations = [
        int(w) for w in os.environ.get("BENCH_WEB_WORKERS", default_workers).split(",")
    ]
    rows: list[list[Any]] = []
    with django_database("web") as database, tempfile.TemporaryDirectory() as tmp:
        users, estimates = _prepare()
        for workers in configurations:
            port = _free_port()
            proc = _server(database, port, workers, Path(tmp) / "gunicorn.log")
            try:
                for clients in sorted({workers, workers * 2, 8}):
                    done, latencies, errors, reasons = _measure(
                        f"http://127.0.0.1:{port}", users, estimates, clients, seconds
                    )
                    rows.append(
                        [
                            workers,
                            clients,
                            done / seconds,
                            median(latencies) * 1000 if latencies else float("nan"),
                            percentile(latencies, 95) * 1000,
                            errors,
                            ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())) or "–",
                        ]
                    )
            finally:
                _stop(proc)
    return result(
        "web",
        "Web: the demo data's list and estimate pages under gunicorn, as fast as clients ask",
        [
            "gunicorn processes",
            "clients",
            "pages/s",
            "median ms",
            "p95 ms",
            "errors",
            "errors by page and answer",
        ],
        rows,
        notes=[
            f"{os.cpu_count()} CPUs; {seconds:.0f} s per configuration; each client reads "
            "the estimates its user may see in turn with the list ("
            + ", ".join(f"{u}: {len(estimates[u])}" for u in users)
            + "). The load "
            "benchmark (``load``) is the one at 100,000 estimates.",
        ],
        figures={"seconds": seconds},
    )
