"""API clients for each demo user (token authentication), on top of the approvals
fixtures: the demo users of every role and estimates moved through the services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.approvals.conftest import make_estimate, people  # noqa: F401 (fixtures)
from tests.factories import api_key

People = dict[str, AbstractUser]
Client = Callable[[str], APIClient]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(people: People) -> Client:  # noqa: F811
    """``api("tckh")``: a client authenticated with that user's token."""
    clients: dict[str, APIClient] = {}

    def client(username: str) -> APIClient:
        if username not in clients:
            c = APIClient()
            c.credentials(HTTP_AUTHORIZATION=f"Token {api_key(people[username])}")
            clients[username] = c
        return clients[username]

    return client


def estimate_payload(plan_id: int | None = None, **kw: Any) -> dict[str, Any]:
    """A valid body for POST /api/v1/estimates/ (activity 3.2 of the plan)."""
    from estimates.models import Activity

    body: dict[str, Any] = {
        "activity": Activity.objects.get(code="3.2").pk,
        "title": "Sinh hoạt CLB Thủ lĩnh của sự thay đổi",
        "purpose": "Nâng cao năng lực\ncho thành viên",
        "start_date": "2024-06-01",
        "end_date": "2024-06-02",
        "participants_women": 20,
        "lines": [
            {
                "description": "Nước uống cho người tham dự",
                "unit_of_measure": "người",
                "quantity": 30,
                "unit_price": 20_000,
                "times": 2,
                "source": "current",
            },
            {
                "description": "Tài liệu",
                "unit_of_measure": "bộ",
                "quantity": 30,
                "unit_price": 15_000,
                "source": "carried",
            },
        ],
    }
    if plan_id is not None:
        body["plan"] = plan_id
    body.update(kw)
    return body
