"""API tokens: asked for with username, password and the second factor; named, expiring,
listed and revoked by their owner on the web page; dead once expired or revoked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from core.models import SecurityEvent
from tests.factories import api_key

from .conftest import code_now, enrol

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/token/"


def ask(body: dict[str, Any]) -> Any:
    return APIClient(REMOTE_ADDR="10.5.0.1").post(TOKEN, body)


def test_with_an_authenticator_the_code_is_needed(users: dict[str, Any]) -> None:
    device = enrol(users["pho.chutich"])
    body = {"name": "báo cáo", "username": "pho.chutich", "password": "duan8-demo"}
    missing = ask(body)
    assert missing.status_code == 400
    assert missing.json()["field"] == "otp"
    wrong = ask({**body, "otp": "12345x"})
    assert wrong.status_code == 400
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2), tick=False):
        code = code_now(device)
        ok = ask({**body, "otp": code})
        assert ok.status_code == 201
        assert ask({**body, "otp": code}).status_code == 400  # a code is accepted once
    key = ok.json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/estimates/").status_code == 200
    assert ApiToken.objects.get(user=users["pho.chutich"]).name == "báo cáo"


def test_a_role_that_needs_a_second_factor_sets_it_up_first(users: dict[str, Any]) -> None:
    refused = ask({"name": "x", "username": "ketoan", "password": "duan8-demo"})
    assert refused.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_commune_officer_without_one_gets_a_token_with_the_password() -> None:
    answer = ask({"name": "x", "username": "hoi.silolau", "password": "duan8-demo"})
    assert answer.status_code == 201


def test_expired_token_is_refused(users: dict[str, Any]) -> None:
    from accounts.tokens import token_issue

    _token, key = token_issue(users["hoi.silolau"], name="short", days=1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/plans/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, seconds=1), tick=False):
        answer = api.get("/api/v1/plans/")
        assert answer.status_code == 401
        assert answer.json()["detail"]
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOKEN_REFUSED).exists()


def test_owner_lists_creates_and_revokes_tokens_on_the_web_page(users: dict[str, Any]) -> None:
    other = api_key(users["hoi.namxe"], name="of someone else")
    web = Client()
    web.force_login(users["tckh"])
    created = web.post("/accounts/tokens/new/", {"name": "bảng tính", "days": "7"})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=users["tckh"])
    html = created.content.decode()
    key = html.split('<code class="key">')[1].split("</code>")[0]
    assert token.prefix == key[:8]
    assert 6 <= (token.expires_at - timezone.now()).days <= 7
    page = web.get("/accounts/").content.decode()
    assert "bảng tính" in page
    assert key not in page  # shown once
    assert "of someone else" not in page

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/plans/").status_code == 200
    assert web.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/plans/").status_code == 401

    # someone else's token: not found, still alive
    theirs = ApiToken.objects.get(user=users["hoi.namxe"])
    assert web.post(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
    still = APIClient()
    still.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert still.get("/api/v1/plans/").status_code == 200


def test_bad_token_form_names_the_field(users: dict[str, Any]) -> None:
    web = Client()
    web.force_login(users["hoi.silolau"])
    answer = web.post("/accounts/tokens/new/", {"name": "", "days": "9999"})
    assert answer.status_code == 400
    assert not ApiToken.objects.exists()
