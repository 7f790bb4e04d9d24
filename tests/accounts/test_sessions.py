"""Sessions end after idle time and at an absolute limit; a changed password or a
deactivated user ends every session and revokes every API token."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import api_key

pytestmark = pytest.mark.django_db


def at(minutes: float) -> Any:
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False)


def test_idle_session_ends(users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["hoi.silolau"])
    with at(29):
        assert client.get("/estimates/").status_code == 200
    with at(29 + 29):  # active 29 minutes ago: still in
        assert client.get("/estimates/").status_code == 200
    with at(29 + 29 + 31):
        answer = client.get("/estimates/")
        assert answer.status_code == 302
        assert answer["Location"].startswith("/accounts/login/")
    assert client.get("/estimates/").status_code == 302


@override_settings(SESSION_ABSOLUTE_SECONDS=3600)
def test_session_ends_at_the_absolute_limit_however_active(users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["hoi.silolau"])
    for minutes in (20, 40, 59):
        with at(minutes):
            assert client.get("/estimates/").status_code == 200
    with at(61):
        assert client.get("/estimates/").status_code == 302


def _signed_in_twice_with_a_token(user: Any) -> tuple[Client, Client, APIClient]:
    one, two = Client(), Client()
    one.force_login(user)
    two.force_login(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    for client in (one, two, api):
        assert client.get("/api/v1/plans/").status_code == 200
    return one, two, api


def test_password_change_ends_sessions_and_revokes_tokens(users: dict[str, Any]) -> None:
    user = users["ketoan"]
    one, two, api = _signed_in_twice_with_a_token(user)
    user.set_password("a-new-long-password")
    user.save()
    for client in (one, two):
        assert client.get("/estimates/").status_code == 302
    assert api.get("/api/v1/plans/").status_code == 401
    assert ApiToken.objects.get(user=user).revoked_reason == "password changed"


def test_password_reset_by_command_ends_them_too(users: dict[str, Any]) -> None:
    from django.contrib.auth.forms import SetPasswordForm

    user = users["tckh"]
    one, _two, api = _signed_in_twice_with_a_token(user)
    form = SetPasswordForm(
        user, {"new_password1": "Zx9-long-enough", "new_password2": "Zx9-long-enough"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert one.get("/estimates/").status_code == 302
    assert api.get("/api/v1/plans/").status_code == 401


def test_deactivation_ends_sessions_and_revokes_tokens(users: dict[str, Any]) -> None:
    user = users["pho.chutich"]
    one, two, api = _signed_in_twice_with_a_token(user)
    user.is_active = False
    user.save()
    for client in (one, two):
        assert client.get("/estimates/").status_code == 302
    assert api.get("/api/v1/plans/").status_code == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None


def test_other_changes_leave_sessions_and_tokens_alone(users: dict[str, Any]) -> None:
    user = users["quansat"]
    one, _two, api = _signed_in_twice_with_a_token(user)
    user.first_name = "Cán bộ"
    user.save()
    assert one.get("/estimates/").status_code == 200
    assert api.get("/api/v1/plans/").status_code == 200
