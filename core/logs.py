"""Structured logs: the request id of the current request or task, and the masking of
secrets and personal data before a record is written.

- ``request_id_var`` holds the id of the request being served (set by
  ``core.middleware.RequestIdMiddleware``) or of the request that queued the Celery task
  being run (``celery_connect``: the id travels in the task message's headers).
- ``RequestIdFilter`` puts it on every record as ``request_id`` ("-" outside a request).
- ``RedactFilter`` masks what must never reach a log: ``Authorization`` headers,
  passwords, tokens, secrets and session or CSRF cookies written as ``name=value`` or
  ``"name": "value"``, 12-digit citizen identity numbers (CCCD) and any number written after
  a national-ID keyword; and any extra field whose name says it is a secret.

Both are attached to the handlers in ``LOGGING`` (config/settings/base.py), so every
logger, the libraries' included, goes through them. The JSON formatter
(python-json-logger) then writes one object per line with every extra field.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

#: The name of the Celery message header that carries the request id.
TASK_HEADER = "request_id"

#: An id accepted from a client or proxy (``X-Request-ID``); anything else is replaced.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

MASK = "[redacted]"

_SENSITIVE_NAMES = (
    r"password|passwd|pwd|token|secret|api[_-]?key|sessionid|csrftoken|csrfmiddlewaretoken"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Token abc / Bearer abc / Basic abc (header, repr of a dict, query)
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:[A-Za-z]+\s+)?[^\s'\",;&]+"),
        r"\1" + MASK,
    ),
    # password=…, "token": "…", secret: …
    (
        re.compile(
            rf"(?i)((?:{_SENSITIVE_NAMES})\w*['\"]?\s*[:=]\s*['\"]?)[^\s'\",;&]+",
        ),
        r"\1" + MASK,
    ),
    # a national ID number after its keyword: cccd 0123…, cmnd=…, national_id: …
    (
        re.compile(
            r"(?i)((?:cccd|cmnd|national[_ -]?id|id[_ -]?number|căn cước)\w*"
            r"['\"]?\s*[:=#]?\s*['\"]?)\d{6,}"
        ),
        r"\1" + MASK,
    ),
    # a citizen identity number (CCCD: exactly 12 digits) anywhere but inside a word: the
    # digits of a hex digest (the audit chain's anchored hash) are not an ID number
    (re.compile(r"(?<![0-9A-Za-z.,])\d{12}(?![0-9A-Za-z.,])"), MASK),
]
_SECRET_FIELD = re.compile(rf"(?i)({_SENSITIVE_NAMES}|authorization|cccd|cmnd|national_?id)")

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def redact(text: str) -> str:
    """``text`` with every secret and national ID number it holds replaced by a mask."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def new_request_id(candidate: str | None = None) -> str:
    """``candidate`` when it looks like a request id (a proxy's ``X-Request-ID``), else a
    new random one."""
    if candidate and _VALID_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class RedactFilter(logging.Filter):
    """Masks secrets in the message (its arguments merged in first) and in extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = redact(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        for name, value in list(vars(record).items()):
            if name in _RECORD_ATTRS:
                continue
            if _SECRET_FIELD.search(name):
                setattr(record, name, MASK)
            elif isinstance(value, str):
                setattr(record, name, redact(value))
        return True


def request_done(**_: Any) -> None:
    """``request_finished``: the answer has been sent; what is logged next is not its."""
    request_id_var.set(None)


def _task_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def _task_prerun(task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    carried = getattr(request, TASK_HEADER, None) if request is not None else None
    if carried is None and request is not None:
        carried = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    if carried:
        request_id_var.set(str(carried))
    elif not getattr(request, "is_eager", False):
        # A task queued outside any request (the beat): an id of its own.
        request_id_var.set(new_request_id())


def _task_postrun(task: Any = None, **_: Any) -> None:
    if not getattr(getattr(task, "request", None), "is_eager", False):
        request_id_var.set(None)


def celery_connect() -> None:
    """Carry the request id from the code that queues a task to the worker that runs it.
    (An eager task runs in the queuing thread and sees the id as it is.)"""
    from celery import signals

    signals.before_task_publish.connect(_task_publish, weak=False)
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
