"""Real processes for integration tests: a Celery worker (with its beat), a Redis server of
our own, a mailbox directory the worker's e-mail backend writes to."""

from __future__ import annotations

import contextlib
import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.mail import EmailMessage

from config.celery import app as celery_app
from notifications.mail_backends import DirectoryBackend

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
#: The pytest-xdist worker running this process ("gw0", "gw1", …), if any.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
#: Its number: 0 without xdist.
WORKER_NUMBER = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0


def redis_url_for_worker(url: str, number: int) -> str:
    """The Redis database of this test process: the one given, or under pytest-xdist the
    next ones for the workers after the first (``gw1`` takes the given number + 1, …), so
    two workers' Celery processes never consume each other's messages (each works
    against its own test database). ``make test`` runs these tests without xdist."""
    if not number:
        return url
    base, _, db = url.rpartition("/")
    return f"{base}/{(int(db or 0) + number) % 16}"


REDIS_URL = redis_url_for_worker(
    os.environ.get("NOTIFICATIONS_TEST_REDIS_URL", "redis://127.0.0.1:6379/3"), WORKER_NUMBER
)


def wait_for(check: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class MailboxBackend(DirectoryBackend):
    """Sending to an address that contains "slow" first leaves a marker and sleeps (once
    per address), so a test can kill the worker in the middle of a delivery."""

    def before_write(self, message: EmailMessage, directory: Path) -> None:
        to = message.to[0]
        if "slow" in to:
            marker = directory / f"sending-{to}"
            if not marker.exists():
                marker.touch()
                time.sleep(float(os.environ.get("MAILBOX_SLOW_SECONDS", "30")))


def mailbox_read(directory: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(directory.glob("*.eml"))]


def free_port(preferred: int = 6391) -> int:
    """A free TCP port: ``preferred`` (one per xdist worker) if it is free, else any."""
    for port in (preferred + WORKER_NUMBER, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError("no free port")


class RedisServer:
    """A redis-server process of our own (never the machine's shared one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._up, timeout=10, what="redis-server to accept connections")

    def _up(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


class Worker:
    """``celery -A config worker -B`` against the test database, in its own process group."""

    def __init__(
        self, *, database: str, broker: str, workdir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.database = database
        self.extra_env = env or {}
        self.broker = broker
        self.workdir = workdir
        self.mailbox = workdir / "mailbox"
        self.mailbox.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.database}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": self.broker,
            "EMAIL_BACKEND": "tests.notifications.infra.MailboxBackend",
            "EMAIL_FILE_PATH": str(self.mailbox),
            "NOTIFICATIONS_RELAY_INTERVAL": "1",
            "NOTIFICATIONS_REPUBLISH_AFTER": "3",
            "PYTHONPATH": str(ROOT),
            **self.extra_env,
        }

    def start(self) -> None:
        self.starts += 1
        log = self.workdir / f"worker-{self.starts}.log"
        self.log = log
        self.proc = subprocess.Popen(  # noqa: S603
            [
                CELERY,
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
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(
                lambda: b" ready." in log.read_bytes() or self._died(),
                timeout=30,
                what="the Celery worker to be ready",
            )
        except AssertionError:
            self.kill()
            raise
        if self._died():
            raise AssertionError(f"worker died:\n{log.read_text()[-3000:]}")

    def _died(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def kill(self) -> None:
        """kill -9 the worker, its pool processes and its beat."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def emails(self) -> list[email.message.Message]:
        return mailbox_read(self.mailbox)


@contextlib.contextmanager
def publishing_to(broker: str) -> Iterator[None]:
    """Make this (test) process publish to ``broker`` for real instead of running eagerly.
    Celery reads ``CELERY_BROKER_URL`` from the environment before its settings, so an
    exported one is replaced for the duration too."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    saved_env = os.environ.get("CELERY_BROKER_URL")

    def reset_pools() -> None:
        # New connections for the new broker (the old pools are left to the collector:
        # closing them would also close kombu's shared producer pools).
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    os.environ["CELERY_BROKER_URL"] = broker
    conf.task_always_eager, conf.broker_url = False, broker
    reset_pools()
    try:
        yield
    finally:
        reset_pools()
        conf.task_always_eager, conf.broker_url = saved
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
