"""/healthz (the process answers) and /readyz (the database and the broker answer): no
login, no personal data, 503 naming what failed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext


def test_healthz_needs_no_login_and_no_database(client: Client, db: None) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0
    assert response["Cache-Control"].startswith("max-age=0")


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_readyz_when_everything_answers(client: Client, db: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failed": [],
        "checks": {"database": "ok", "broker": "ok"},
    }


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_readyz_names_the_broker_when_it_is_down(client: Client, db: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"] == {"database": "ok", "broker": "failed"}
    assert "127.0.0.1" not in response.content.decode()


def test_readyz_names_the_database_when_it_fails(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.views import health

    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_readyz_in_the_embedded_default_needs_no_broker(client: Client, db: None) -> None:
    assert client.get("/readyz").json()["checks"]["broker"] == "not used"


def test_health_checks_show_nothing_personal(client: Client, users: dict[str, Any]) -> None:
    client.force_login(users["admin"])
    for path in ("/healthz", "/readyz"):
        text = client.get(path).content.decode()
        assert "admin" not in text and "@" not in text
        assert client.post(path).status_code == 405
