"""Idempotency-Key: a client retrying after a timeout gets the first answer again, and the
transition happens once — also when the retries arrive at the same instant (threads on
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from api.models import IdempotencyKey
from approvals import services
from approvals.models import AuditEntry
from estimates.models import Estimate, EstimateVersion, Plan
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import api_key, club_input

from .conftest import Client, estimate_payload

Make = Callable[..., Estimate]
THREADS = 8


def _count(est: Estimate, action: str) -> int:
    return AuditEntry.objects.filter(estimate=est, action=action).count()


def test_a_retried_submit_acts_once_and_replays_the_answer(
    api: Client, make_estimate: Make
) -> None:
    est = make_estimate("draft")
    client = api("hoi.silolau")
    url = f"/api/v1/estimates/{est.pk}/submit/"
    first = client.post(url, {"comment": "Kính trình"}, HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post(url, {"comment": "Kính trình"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert _count(est, "estimate.submitted") == 1
    assert EstimateVersion.objects.filter(estimate=est).count() == 1
    # without the key, the same request is a new one and meets the moved state
    assert client.post(url, {"comment": "Kính trình"}).status_code == 409


def test_a_retried_create_makes_one_estimate(api: Client, plan: Plan) -> None:
    client = api("hoi.silolau")
    body = estimate_payload()
    first = client.post("/api/v1/estimates/", body, HTTP_IDEMPOTENCY_KEY="new-draft")
    second = client.post("/api/v1/estimates/", body, HTTP_IDEMPOTENCY_KEY="new-draft")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Estimate.objects.count() == 1


def test_the_same_key_for_another_request_is_422(api: Client, make_estimate: Make) -> None:
    est = make_estimate("draft")
    other = make_estimate("draft")
    client = api("hoi.silolau")
    ok = client.post(f"/api/v1/estimates/{est.pk}/submit/", {}, HTTP_IDEMPOTENCY_KEY="k")
    assert ok.status_code == 200
    for url, body in [
        (f"/api/v1/estimates/{est.pk}/submit/", {"comment": "khác"}),
        (f"/api/v1/estimates/{other.pk}/submit/", {}),
        (f"/api/v1/estimates/{est.pk}/withdraw/", {"reason": "x"}),
    ]:
        refused = client.post(url, body, HTTP_IDEMPOTENCY_KEY="k")
        assert refused.status_code == 422
        assert refused.json()["detail"]
    other.refresh_from_db()
    assert other.status == "draft"


def test_keys_belong_to_their_user(api: Client, make_estimate: Make) -> None:
    mine = make_estimate("draft")
    theirs = make_estimate("draft", unit_code="nam-xe", drafter="hoi.namxe")
    a = api("hoi.silolau").post(f"/api/v1/estimates/{mine.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k")
    b = api("hoi.namxe").post(f"/api/v1/estimates/{theirs.pk}/submit/", HTTP_IDEMPOTENCY_KEY="k")
    assert (a.status_code, b.status_code) == (200, 200)
    assert _count(mine, "estimate.submitted") == _count(theirs, "estimate.submitted") == 1


def test_a_refused_request_is_not_remembered(api: Client, make_estimate: Make) -> None:
    est = make_estimate("draft")
    client = api("hoi.silolau")
    url = f"/api/v1/estimates/{est.pk}/withdraw/"
    refused = client.post(url, {"reason": ""}, HTTP_IDEMPOTENCY_KEY="w")
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()
    # the client fixes the body and sends it again with the same key: it acts
    done = client.post(url, {"reason": "Không tổ chức nữa"}, HTTP_IDEMPOTENCY_KEY="w")
    assert done.status_code == 200
    assert _count(est, "estimate.withdrawn") == 1


def test_another_roles_refusal_is_not_remembered_either(api: Client, make_estimate: Make) -> None:
    est = make_estimate("review")
    refused = api("tckh").post(f"/api/v1/estimates/{est.pk}/forward/", HTTP_IDEMPOTENCY_KEY="f")
    assert refused.status_code == 403
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "é", "tab\there"])
def test_malformed_keys_are_400(api: Client, make_estimate: Make, key: str) -> None:
    est = make_estimate("draft")
    response = api("hoi.silolau").post(
        f"/api/v1/estimates/{est.pk}/submit/", {}, HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    est.refresh_from_db()
    assert est.status == "draft"


def test_keys_expire_after_a_day(api: Client, make_estimate: Make) -> None:
    est = make_estimate("draft")
    client = api("hoi.silolau")
    url = f"/api/v1/estimates/{est.pk}/submit/"
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="old").status_code == 200
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=25)):
        # the stored answer is gone: the request is new, and the state has moved on
        assert client.post(url, HTTP_IDEMPOTENCY_KEY="old").status_code == 409
        assert client.post(url, HTTP_IDEMPOTENCY_KEY="fresh").status_code == 409
        call_command("api_purge_idempotency_keys", verbosity=0)
    assert _count(est, "estimate.submitted") == 1


def test_purge_deletes_only_expired_keys(api: Client, make_estimate: Make) -> None:
    est = make_estimate("draft")
    api("hoi.silolau").post(f"/api/v1/estimates/{est.pk}/submit/", HTTP_IDEMPOTENCY_KEY="a")
    call_command("api_purge_idempotency_keys", verbosity=0)
    assert IdempotencyKey.objects.count() == 1
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=25)):
        call_command("api_purge_idempotency_keys", verbosity=0)
    assert not IdempotencyKey.objects.exists()


# --------------------------------------------------------------------------------------
# Concurrent retries: real threads on PostgreSQL


def _race(clients: list[APIClient], url: str, keys: list[str | None]) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(len(clients))
    outcomes: list[tuple[int, Any]] = []

    def send(client: APIClient, key: str | None) -> None:
        try:
            barrier.wait(timeout=30)
            extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
            response = client.post(url, {"comment": "Kính trình"}, **extra)
            outcomes.append((response.status_code, response.json()))
        except Exception as exc:  # recorded, and fails the assertions
            outcomes.append((0, repr(exc)))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(c, k)) for c, k in zip(clients, keys, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_submit_once(plan: Plan) -> None:
    drafter = get_user_model().objects.get(username="hoi.silolau")
    token = api_key(drafter)
    unit = Unit.objects.get(code="si-lo-lau")
    for _round in range(5):
        est = services.estimate_create(actor=drafter, plan=plan, unit=unit, data=club_input(plan))
        clients = []
        for _ in range(THREADS):
            c = APIClient()
            c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            clients.append(c)
        key = f"retry-{est.pk}"
        outcomes = _race(clients, f"/api/v1/estimates/{est.pk}/submit/", [key] * THREADS)
        assert Counter(code for code, _ in outcomes) == {200: THREADS}, outcomes
        assert all(body == outcomes[0][1] for _, body in outcomes)
        assert _count(est, "estimate.submitted") == 1
        est.refresh_from_db()
        assert (est.status, est.version) == ("review", 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviewers_with_their_own_keys_forward_once(plan: Plan) -> None:
    user_model = get_user_model()
    wu = Unit.objects.get(code="phong-tho.hlhpn")
    reviewers = [user_model.objects.get(username="hoi.huyen")]
    for n in range(THREADS - 1):
        extra = user_model.objects.create_user(f"reviewer{n}", password="x")
        Membership.objects.create(user=extra, unit=wu, role=Role.DISTRICT_WU)
        reviewers.append(extra)
    access_sync()
    drafter = user_model.objects.get(username="hoi.silolau")
    est = services.estimate_create(
        actor=drafter,
        plan=plan,
        unit=Unit.objects.get(code="si-lo-lau"),
        data=club_input(plan),
    )
    services.estimate_submit(actor=drafter, estimate_id=est.pk)
    clients = []
    for reviewer in reviewers:
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {api_key(reviewer)}")
        clients.append(c)
    outcomes = _race(
        clients, f"/api/v1/estimates/{est.pk}/forward/", [f"k{n}" for n in range(THREADS)]
    )
    assert Counter(code for code, _ in outcomes) == {200: 1, 409: THREADS - 1}, outcomes
    assert _count(est, "estimate.forwarded") == 1
    assert IdempotencyKey.objects.count() == 1
