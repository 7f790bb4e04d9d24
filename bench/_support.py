"""Helpers for benchmarks: Django on a database of its own, and a real Celery worker."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def django_database(label: str) -> Iterator[str]:
    """Set Django up on a fresh database ``bench_<label>`` (created, migrated, then dropped):
    the development or test data are never touched. Yields the database name."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    # This process publishes to the broker for real; the worker does the work.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django
    from django.conf import settings

    django.setup()
    # Django may have been set up before this (``python -m bench`` describes the machine
    # first), with the test settings' eager Celery: the environment above came too late, and
    # every notification would be delivered inside the measured process.
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    if _from_template():
        name = prefixed(label)
        _database_copy(_template_ensure(), name)
        original = settings.DATABASES["default"]["NAME"]
        _database_use(name)
        try:
            yield name
        finally:
            connections.close_all()
            _database_use(original)
            _database_drop(name)
        return
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = prefixed(label)
    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        yield str(settings.DATABASES["default"]["NAME"])
    finally:
        connections.close_all()
        teardown_databases(old, verbosity=0)


# A run migrates one database, kept as a template named after the migrations it ran, and
# copies it for each benchmark (``CREATE DATABASE … TEMPLATE``: about a second, against
# eight to migrate each). ``make bench`` keeps its template for the next run; a run with
# its own ``BENCH_DB_PREFIX`` (the test suite's) drops its template when it ends.


def _template_prefix() -> str:
    return f"{prefixed('template')}_"


def _from_template() -> bool:
    from django.db import connections

    return connections["default"].vendor == "postgresql"


def _migrations_fingerprint() -> str:
    """What the template was migrated with: the project's migrations and the pinned
    packages (theirs)."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update((ROOT / "constraints.txt").read_bytes())
    return digest.hexdigest()[:16]


def _server_cursor() -> Any:
    """A cursor on the server's maintenance database (not the benchmark's)."""
    from django.db import connections

    return connections["default"]._nodb_cursor()


def _template_ensure() -> str:
    """The template database for the current migrations, migrated now if missing (the
    templates of earlier migrations are dropped)."""
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases

    name = f"{_template_prefix()}{_migrations_fingerprint()}"
    with _server_cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{_template_prefix()}%"]
        )
        existing = {row[0] for row in cursor.fetchall()}
    for stale in sorted(existing - {name}):
        _database_drop(stale)
    if name in existing:
        return name
    original = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name
    try:
        setup_databases(verbosity=0, interactive=False, keepdb=False)
    except Exception:
        connections.close_all()
        _database_use(original)
        _database_drop(name)  # half migrated: never a template
        raise
    connections.close_all()
    _database_use(original)
    if os.environ.get("BENCH_DB_PREFIX"):  # a run of its own: nothing left behind
        atexit.register(_database_drop, name)
    return name


def _database_copy(template: str, name: str) -> None:
    from django.db import connections

    quote = connections["default"].ops.quote_name
    _database_drop(name)
    with _server_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")


def _database_drop(name: str) -> None:
    from django.db import connections

    quote = connections["default"].ops.quote_name
    with _server_cursor() as cursor:
        # FORCE: a pool process of a worker the benchmark has just stopped may still hold
        # a session on its database for a moment (PostgreSQL 13 and later).
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")


def _database_use(name: str) -> None:
    """Point Django's default connection at database ``name``."""
    from django.conf import settings
    from django.db import connections

    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


class Worker:
    """``celery -A config worker -B`` (its beat runs the relay every second).

    Started, killed and stopped from several threads (the notifications benchmark kills it
    mid-run while a supervisor restarts a worker that exits on its own): each holds the
    lock, so a worker being killed is never seen as one that exited and started again
    behind the killer's back (that second worker was left running after the benchmark,
    holding a session on its database)."""

    def __init__(self, *, database: str, workdir: Path, extra_env: dict[str, str]) -> None:
        self.database = database
        self.workdir = workdir
        self.extra_env = extra_env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "worker.log"
        self.lock = threading.RLock()

    def start(self) -> None:
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                return  # one is running already
            self._start()

    def _start(self) -> None:
        from django.conf import settings

        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                f"{self.database}"
            ),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
            "NOTIFICATIONS_RELAY_INTERVAL": "1",
            "PYTHONPATH": str(ROOT),
            **self.extra_env,
        }
        celery = str(Path(sys.executable).with_name("celery"))
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(  # noqa: S603
            [
                celery,
                "-A",
                "config",
                "worker",
                "-B",
                "-s",
                str(self.workdir / "beat-schedule"),
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while b"ready." not in self.log.read_bytes()[offset:]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"worker did not start:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def exited(self) -> bool:
        with self.lock:
            return self.proc is not None and self.proc.poll() is not None

    def kill(self) -> None:
        with self.lock:
            if self.proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                self.proc = None

    def stop(self) -> None:
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.kill()
            self.proc = None


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; values need not be sorted."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class RedisServer:
    """A redis-server of the benchmark's own on a free port (never the machine's shared
    one), which a benchmark may stop and start again: nothing kept on disk, so a restart
    comes back empty, as the shared one would."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil
        import socket

        self.proc = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@contextlib.contextmanager
def publishing_to(broker: str) -> Iterator[None]:
    """This process publishes its Celery messages to ``broker`` (not eagerly). Celery reads
    ``CELERY_BROKER_URL`` from the environment before its settings, so both are set."""
    from config.celery import app

    saved_env = os.environ.get("CELERY_BROKER_URL")
    saved = (app.conf.task_always_eager, app.conf.broker_url)

    def reset_pools() -> None:
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    os.environ["CELERY_BROKER_URL"] = broker
    app.conf.update(task_always_eager=False, broker_url=broker)
    reset_pools()
    try:
        yield
    finally:
        reset_pools()
        app.conf.update(task_always_eager=saved[0], broker_url=saved[1])
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env


def prefixed(label: str) -> str:
    """The name of a benchmark's own database: ``bench_<label>``, or with the prefix
    ``BENCH_DB_PREFIX`` (the test suite's runs use their own, so they never meet a
    ``make bench`` running beside them)."""
    return f"{os.environ.get('BENCH_DB_PREFIX', 'bench_')}{label}"


def tiny() -> bool:
    """``BENCH_TINY=1``: the smallest sizes that still run every code path (the test
    suite's run of ``make bench-quick``)."""
    return os.environ.get("BENCH_TINY", "") == "1"


def markdown_table(columns: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            if value != value:
                return "–"
            digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
            return f"{value:,.{digits}f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def result(
    name: str,
    title: str,
    columns: list[str],
    rows: list[list[Any]],
    notes: list[str] | None = None,
    figures: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A benchmark's answer (what ``run()`` returns), its table printed on the way."""
    answer = {
        "name": name,
        "title": title,
        "columns": columns,
        "rows": rows,
        "notes": list(notes or []),
        "figures": dict(figures or {}),
    }
    print(f"\n{title}\n\n{markdown_table(columns, rows)}\n", flush=True)
    for note in answer["notes"]:
        print(f"- {note}", flush=True)
    return answer
