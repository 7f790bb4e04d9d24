"""Structured logs: JSON with a request id that reaches Celery tasks, nothing secret or
personal in them, security events with queryable fields."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from typing import Any

import pytest
from celery.app.task import Context
from django.conf import settings
from django.test import Client

from config.celery import app as celery_app
from core import logs
from core.logs import redact, request_id_var

from .conftest import production_settings


@pytest.fixture
def json_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Logging configured exactly as under the production settings, written to a buffer."""
    config = json.loads(json.dumps(production_settings(monkeypatch)["LOGGING"]))
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        logging.config.dictConfig(settings.LOGGING)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "9944b091"),
        ("headers={'Authorization': 'Bearer abc.def.ghi'}", "abc.def"),
        ("login failed password=hunter2&next=/", "hunter2"),
        ('{"username": "x", "password": "hunter2"}', "hunter2"),
        ("api token=9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "9944b091"),
        ("SECRET_KEY: abcdefghijklmnop", "abcdefghijklmnop"),
        ("sessionid=q1w2e3r4t5y6; csrftoken=z9x8c7", "q1w2e3r4t5y6"),
        ("beneficiary 001185012345 registered", "001185012345"),
        ("CCCD: 012345678901", "012345678901"),
        ("cmnd 123456789 of the mother", "123456789"),
        ("national_id=987654321", "987654321"),
        ("beneficiary_001185012345 registered", "001185012345"),
        ("số001185012345", "001185012345"),
    ],
)
def test_secrets_and_national_ids_are_masked(text: str, hidden: str) -> None:
    masked = redact(text)
    assert hidden not in masked
    assert logs.MASK in masked


@pytest.mark.parametrize(
    "text",
    [
        "approved 7.588.630.000 ₫ for estimate 12",
        "amount 7588630000 on line 3",
        "GET /estimates/42/ 200",
        "estimate DT-2024-00012 approved",
        # A hex digest whose digits run twelve long is a hash, not an ID number (the
        # audit chain's anchor line must keep it whole).
        "audit.anchor seq=5 hash=d7955e6146a8f50eff4f809747772855f6d9ac7e923b0039e012bf7f1ba1136a",
        "hash=123456789012abcdef",
    ],
)
def test_ordinary_figures_are_kept(text: str) -> None:
    assert redact(text) == text


def test_a_log_line_is_json_with_the_request_id(json_log: io.StringIO) -> None:
    token = request_id_var.set("a" * 32)
    try:
        logging.getLogger("estimates").warning(
            "user %s typed password=%s", 7, "hunter2", extra={"estimate_id": 12, "token": "x1"}
        )
    finally:
        request_id_var.reset(token)
    (line,) = records(json_log)
    assert line["request_id"] == "a" * 32
    assert line["level"] == "WARNING"
    assert line["logger"] == "estimates"
    assert line["message"] == f"user 7 typed password={logs.MASK}"
    assert line["estimate_id"] == 12
    assert line["token"] == logs.MASK
    assert "hunter2" not in json_log.getvalue()
    assert re.match(r"\d{4}-\d\d-\d\d", line["time"])


def test_each_request_gets_an_id_in_its_answer_and_its_log_lines(
    json_log: io.StringIO, client: Client, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.get("/estimates/", headers={"authorization": "Token secret-value"})
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    (line,) = [r for r in records(json_log) if r["logger"] == "requests"]
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["status"]) == ("GET", "/estimates/", 200)
    assert line["user_id"] == users["hoi.silolau"].pk
    assert "secret-value" not in json_log.getvalue()
    assert request_id_var.get() is None  # nothing left behind for the next request


def test_a_not_found_line_carries_the_request_id_too(
    json_log: io.StringIO, client: Client, users: dict[str, Any]
) -> None:
    """Django logs "Not Found: …" once the middleware has returned."""
    client.force_login(users["hoi.silolau"])
    response = client.get("/estimates/999999999/")
    assert response.status_code == 404
    (line,) = [r for r in records(json_log) if r["logger"] == "django.request"]
    assert line["request_id"] == response["X-Request-ID"]
    assert request_id_var.get() is None


def test_a_proxys_request_id_is_kept_and_a_strange_one_replaced(client: Client, db: None) -> None:
    kept = client.get("/healthz", headers={"x-request-id": "proxy-1234-abcd"})
    assert kept["X-Request-ID"] == "proxy-1234-abcd"
    replaced = client.get("/healthz", headers={"x-request-id": "<script>\n"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])


def test_the_request_id_travels_to_a_celery_task() -> None:
    """The id is put into the task message's headers when it is queued, and the worker
    makes it the id of the task's log lines (the message Celery really builds)."""
    message = celery_app.amqp.as_task_v2("task-1", "notifications.relay_outbox")
    headers = dict(message.headers)
    token = request_id_var.set("b" * 32)
    try:
        logs._task_publish(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers[logs.TASK_HEADER] == "b" * 32

    class Task:
        request = Context(headers)  # what the worker builds from the message

    logs._task_prerun(task=Task())
    try:
        assert request_id_var.get() == "b" * 32
    finally:
        logs._task_postrun(task=Task())
    assert request_id_var.get() is None


def test_a_task_queued_outside_a_request_gets_an_id_of_its_own() -> None:
    class Task:
        request = Context({"id": "t"})

    logs._task_prerun(task=Task())
    try:
        assert re.fullmatch(r"[0-9a-f]{32}", request_id_var.get() or "")
    finally:
        logs._task_postrun(task=Task())


def test_sign_ins_and_failures_are_security_events_without_names(
    json_log: io.StringIO, client: Client, users: dict[str, Any]
) -> None:
    client.post("/accounts/login/", {"username": "hoi.silolau", "password": "wrong-one"})
    client.post("/accounts/login/", {"username": "hoi.silolau", "password": "duan8-demo"})
    events = [r for r in records(json_log) if r["logger"] == "security"]
    failed, signed_in = events
    assert failed["event"] == "login_failed" and failed["level"] == "WARNING"
    assert re.fullmatch(r"[0-9a-f]{16}", failed["account"])
    assert signed_in["event"] == "login"
    assert signed_in["user_id"] == users["hoi.silolau"].pk
    text = json_log.getvalue()
    assert "hoi.silolau" not in text and "wrong-one" not in text and "duan8-demo" not in text


def test_a_refusal_is_logged_with_its_fields(
    json_log: io.StringIO, client: Client, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    assert client.get("/security/refusals/").status_code == 403
    (event,) = [r for r in records(json_log) if r.get("event") == "refused"]
    assert event["user_id"] == users["hoi.silolau"].pk
    assert event["path"] == "/security/refusals/"
    assert event["security_event_id"] > 0
