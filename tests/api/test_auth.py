"""Who gets in: tokens (created and revoked by their owner, or by an administrator),
sessions, the public schema and docs, JSON answers instead of the login page, the rate
limit per user."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import ApiToken
from core.models import SecurityEvent
from tests.factories import api_key

from .conftest import Client, People

PRIVATE = ["/api/v1/estimates/", "/api/v1/plans/", "/api/v1/tasks/", "/api/v1/token/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PRIVATE)
def test_anonymous_gets_401_in_json_not_the_login_page(url: str) -> None:
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_wrong_token_is_refused() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/estimates/")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "field"}


@pytest.mark.django_db
def test_schema_and_docs_are_public() -> None:
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/estimates/{id}/submit/" in body["paths"]
    money = body["components"]["schemas"]["EstimateDetail"]["properties"]["total_amount"]
    assert money["type"] == "integer"
    assert "đồng" in money["description"]
    docs = APIClient().get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
    # served from this site: the docs work on a closed network
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    assert b"cdn.jsdelivr" not in docs.content


def test_unknown_api_address_is_a_json_404(api: Client) -> None:
    response = api("hoi.silolau").get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["field"] is None
    assert response.json()["detail"]


def test_user_creates_uses_and_revokes_their_token_from_a_session(people: People) -> None:
    web = APIClient()
    web.force_login(people["ketoan"])  # the second factor passed (tests/conftest.py)
    assert web.get("/api/v1/token/").json() == []
    created = web.post("/api/v1/token/", {"name": "máy kế toán", "days": 30})
    assert created.status_code == 201
    body = created.json()
    key = body["token"]
    token = ApiToken.objects.get(user=people["ketoan"])
    assert (token.name, token.pk, token.prefix) == ("máy kế toán", body["id"], key[:8])
    assert token.digest != key and key not in token.digest  # only a digest is kept
    assert 29 <= (token.expires_at - token.created_at).days <= 30

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/estimates/").status_code == 200
    assert [t["name"] for t in client.get("/api/v1/token/").json()] == ["máy kế toán"]

    # a token does not make another token: that needs the password and second factor
    refused = client.post("/api/v1/token/", {"name": "more"})
    assert refused.status_code == 403
    assert ApiToken.objects.filter(user=people["ketoan"]).count() == 1

    assert client.delete("/api/v1/token/").status_code == 204
    answer = client.get("/api/v1/estimates/")
    assert answer.status_code == 401
    assert answer.json()["detail"]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.TOKEN_REFUSED, user_id=people["ketoan"].pk
    ).exists()


def test_session_writes_need_the_csrf_token(people: People) -> None:
    web = APIClient(enforce_csrf_checks=True)
    web.force_login(people["ketoan"])
    response = web.post("/api/v1/token/", {"name": "x"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ApiToken.objects.filter(user=people["ketoan"]).exists()


def test_administrator_sees_and_revokes_tokens_in_the_admin(people: People) -> None:
    key = api_key(people["quansat"], name="báo cáo tháng")
    admin = APIClient()
    admin.force_login(people["sep"])
    page = admin.get("/admin/accounts/apitoken/")
    assert page.status_code == 200
    assert b"quansat" in page.content
    token = ApiToken.objects.get(user=people["quansat"])
    done = admin.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        format="multipart",
    )
    assert done.status_code == 302
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/plans/").status_code == 401


@override_settings(API_THROTTLE_RATE="3/min")
def test_requests_are_rate_limited_per_user(api: Client) -> None:
    for _ in range(3):
        assert api("hoi.silolau").get("/api/v1/plans/").status_code == 200
    refused = api("hoi.silolau").get("/api/v1/plans/")
    assert refused.status_code == 429
    assert refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    # another user (another token) has their own allowance
    assert api("hoi.namxe").get("/api/v1/plans/").status_code == 200
