"""Any address under /api/v1/ that names nothing answers the documented JSON 404, whatever
the method and however the caller signs in: never the site's HTML pages (the login
redirect, the CSRF refusal, the 404 page)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.factories import api_key

from .conftest import People

METHODS = ["get", "post", "put", "patch", "delete", "head", "options"]
ADDRESSES = [
    "/api/v1/nope/",
    "/api/v1/nope",
    "/api/v1/estimates/1/nope/",
    "/api/v1/estimates/nope/deeper/",
]


def _token(people: People) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(people['hoi.silolau'])}")
    return client


def _session(people: People) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(people["hoi.silolau"])
    return client


def _anonymous(people: People) -> APIClient:
    return APIClient(enforce_csrf_checks=True)


CLIENTS: dict[str, Callable[[People], APIClient]] = {
    "token": _token,
    "session": _session,
    "anonymous": _anonymous,
}


@pytest.mark.parametrize("who", list(CLIENTS))
def test_unknown_address_is_the_json_404(people: People, who: str) -> None:
    client = CLIENTS[who](people)
    for url in ADDRESSES:
        for method in METHODS:
            response = getattr(client, method)(url, {"status": "approved"}, format="json")
            where = f"{method.upper()} {url}"
            assert response.status_code == 404, (where, response.content[:200])
            assert response["Content-Type"] == "application/json", where
            if method != "head":
                assert response.json()["detail"], where
                assert response.json()["field"] is None, where
                assert set(response.json()) == {"detail", "field"}, where
