"""The login lockout (django-axes): by username and address together, never an address
alone; released after the cool-off or by an administrator; the same at /admin/login/ and
at the API's token endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from core.models import SecurityEvent

from .conftest import ADMIN_LOGIN, password_login, signed_in

pytestmark = pytest.mark.django_db


def fail(client: Client, username: str, times: int, **kw: Any) -> None:
    for _ in range(times):
        password_login(client, username, "wrong-password", **kw)


def test_forty_wrong_passwords_then_the_right_one_do_not_log_in(browser: Client) -> None:
    fail(browser, "pho.chutich", 40)
    answer = password_login(browser, "pho.chutich")
    assert answer.status_code == 429
    assert not signed_in(browser)
    assert "Too many failed sign-ins for this username from this address" in (
        answer.content.decode()
    )
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.LOCKED_OUT, username="pho.chutich"
    ).exists()
    assert (
        SecurityEvent.objects.filter(
            kind=SecurityEvent.Kind.LOGIN_FAILED, username="pho.chutich"
        ).count()
        >= settings.AXES_FAILURE_LIMIT
    )


def test_the_lockout_is_per_username_and_address(browser: Client) -> None:
    fail(browser, "tckh", settings.AXES_FAILURE_LIMIT, address="10.2.0.1")
    assert password_login(Client(), "tckh", address="10.2.0.1").status_code == 429
    # the same commune office address, another user: not locked
    colleague = Client()
    assert password_login(colleague, "hoi.silolau", address="10.2.0.1").status_code == 302
    assert signed_in(colleague)
    # the same user from another address: not locked
    elsewhere = Client()
    assert password_login(elsewhere, "tckh", address="10.2.0.2").status_code == 302
    assert signed_in(elsewhere)


def test_many_usernames_from_one_address_lock_none_of_the_others(browser: Client) -> None:
    for n in range(30):
        password_login(browser, f"guess{n}", "x", address="10.3.0.1")
    client = Client()
    assert password_login(client, "ketoan", address="10.3.0.1").status_code == 302


def test_released_after_the_cool_off(browser: Client) -> None:
    fail(browser, "ketoan", settings.AXES_FAILURE_LIMIT)
    assert password_login(Client(), "ketoan").status_code == 429
    later = timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        client = Client()
        assert password_login(client, "ketoan").status_code == 302
        assert signed_in(client)


def test_administrator_sees_and_lifts_a_lockout(browser: Client, users: dict[str, Any]) -> None:
    fail(browser, "quansat", settings.AXES_FAILURE_LIMIT)
    admin = Client()
    admin.force_login(users["admin"])
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "quansat" in page.content.decode()
    AccessAttempt.objects.filter(username="quansat").delete()  # the admin's delete action
    client = Client()
    assert password_login(client, "quansat").status_code == 302


def test_the_admin_login_is_locked_too(browser: Client) -> None:
    fail(browser, "admin", settings.AXES_FAILURE_LIMIT, url=ADMIN_LOGIN)
    answer = password_login(browser, "admin", url=ADMIN_LOGIN)
    assert answer.status_code == 429
    assert not signed_in(browser)


def test_the_token_endpoint_is_locked_too_with_json() -> None:
    api = APIClient(REMOTE_ADDR="10.4.0.1", HTTP_ACCEPT_LANGUAGE="en")
    body = {"name": "script", "username": "hoi.silolau", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = api.post("/api/v1/token/", body)
        assert wrong.status_code == 400
        assert wrong.json()["field"] == "password"
    right = {**body, "password": "duan8-demo"}
    locked = [api.post("/api/v1/token/", body), api.post("/api/v1/token/", right)]
    for answer in locked:
        assert answer.status_code == 429
        assert answer["Content-Type"] == "application/json"
        assert "Too many failed sign-ins" in answer.json()["detail"]
    assert not ApiToken.objects.exists()


def test_behind_a_proxy_the_forwarded_address_counts(browser: Client) -> None:
    from django.test import override_settings

    with override_settings(TRUSTED_PROXY_COUNT=1):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            browser.post(
                "/accounts/login/",
                {"username": "kiemtoan", "password": "x"},
                REMOTE_ADDR="172.18.0.5",
                HTTP_X_FORWARDED_FOR="forged, 10.6.0.1",
            )
        locked = Client().post(
            "/accounts/login/",
            {"username": "kiemtoan", "password": "duan8-demo"},
            REMOTE_ADDR="172.18.0.5",
            HTTP_X_FORWARDED_FOR="10.6.0.1",
        )
        assert locked.status_code == 429
        other = Client().post(
            "/accounts/login/",
            {"username": "kiemtoan", "password": "duan8-demo"},
            REMOTE_ADDR="172.18.0.5",
            HTTP_X_FORWARDED_FOR="10.6.0.2",
        )
        assert other.status_code == 302
