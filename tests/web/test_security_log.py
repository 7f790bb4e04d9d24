"""A refused action (HTTP 403) is recorded in the security log, which the auditor reads;
the refused change leaves nothing behind: not in the estimate, the audit chain, the ledger
or the outbox."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.audit import audit_verify
from approvals.models import AuditEntry
from core.models import SecurityEvent
from estimates.models import Estimate, Plan
from ledger.models import Entry
from ledger.selectors import ledger_reconcile
from notifications.models import OutboxEvent
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import api_key, estimate_in_status

OFFICER = "hoi.silolau"
PERSONAL = "Lò Thị Mai, 0912 345 678"


@pytest.fixture
def in_approval(plan: Plan, users: dict[str, Any]) -> Estimate:
    """A Sì Lở Lầu estimate waiting for the vice chair."""
    return estimate_in_status("approval", plan=plan, drafter=users[OFFICER])


def state(estimate: Estimate) -> tuple[Any, ...]:
    """Everything a transition would change."""
    row = Estimate.objects.values_list("status", "title", "approved_amount", "updated_at").get(
        pk=estimate.pk
    )
    return (
        row,
        AuditEntry.objects.count(),
        Entry.objects.count(),
        OutboxEvent.objects.count(),
    )


def assert_recorded(event: SecurityEvent, user: Any, path: str, estimate: Estimate) -> None:
    assert (event.user_id, event.username) == (user.pk, user.username)
    assert (event.method, event.path, event.estimate_id) == ("POST", path, estimate.pk)
    assert event.message
    every_value = " ".join(str(v) for v in SecurityEvent.objects.values().get(pk=event.pk).values())
    assert PERSONAL not in every_value
    assert "secret" not in every_value


def test_a_refused_approval_page_is_recorded_and_changes_nothing(
    client: Client, plan: Plan, users: dict[str, Any], in_approval: Estimate
) -> None:
    before = state(in_approval)
    client.force_login(users[OFFICER])
    path = reverse("estimates:approve", args=[in_approval.pk])
    response = client.post(f"{path}?token=secret", {"comment": PERSONAL})
    assert response.status_code == 403
    assert b"Your role does not allow this on this estimate." in response.content
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.REFUSED)
    assert_recorded(event, users[OFFICER], path, in_approval)
    assert event.view == "estimates:approve"
    assert event.message == "Your role does not allow this on this estimate."
    assert state(in_approval) == before
    assert audit_verify() is None
    assert ledger_reconcile(plan) == []


def test_a_refused_approval_in_the_api_is_recorded_and_changes_nothing(
    plan: Plan, users: dict[str, Any], in_approval: Estimate
) -> None:
    """The API checks only visibility first; the service's access gate refuses inside its
    transaction, with the estimate locked."""
    before = state(in_approval)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_key(users[OFFICER])}")
    path = f"/api/v1/estimates/{in_approval.pk}/approve/"
    response = api.post(path, {"comment": PERSONAL}, format="json")
    assert response.status_code == 403
    assert response.json()["field"] is None
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.REFUSED)
    assert_recorded(event, users[OFFICER], path, in_approval)
    assert event.view == "api:estimate-approve"
    assert event.message == response.json()["detail"]
    assert state(in_approval) == before
    assert audit_verify() is None


def test_a_segregation_of_duties_refusal_is_recorded(
    client: Client, plan: Plan, users: dict[str, Any], in_approval: Estimate
) -> None:
    """The reviewer who forwarded the estimate also holds the approver role: still refused."""
    reviewer = users["hoi.huyen"]
    Membership.objects.create(
        user=reviewer, unit=Unit.objects.get(code="phong-tho.ubnd"), role=Role.APPROVER
    )
    access_sync()
    reviewer = get_user_model().objects.get(pk=reviewer.pk)
    before = state(in_approval)
    client.force_login(reviewer)
    path = reverse("estimates:approve", args=[in_approval.pk])
    response = client.post(path, {"comment": "Đồng ý", "confirm": "on"})
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.REFUSED)
    assert_recorded(event, reviewer, path, in_approval)
    assert "cannot act on two stages" in event.message
    assert state(in_approval) == before


@override_settings(ROOT_URLCONF="tests.web.urls_refusal")
def test_the_record_outlives_the_refused_transaction(
    client: Client, plan: Plan, users: dict[str, Any], in_approval: Estimate
) -> None:
    """Written after the refused transaction rolled back: what it wrote is gone (estimate,
    ledger entries, audit entry, outbox event), the refusal is recorded."""
    before = state(in_approval)
    client.force_login(users[OFFICER])
    path = f"/test/approve-then-refuse/{in_approval.pk}/"
    response = client.post(path)
    assert response.status_code == 403
    assert state(in_approval) == before
    assert audit_verify() is None
    assert ledger_reconcile(plan) == []
    assert_recorded(
        SecurityEvent.objects.get(kind=SecurityEvent.Kind.REFUSED),
        users[OFFICER],
        path,
        in_approval,
    )


def test_the_security_logger_has_a_line_without_the_username(
    client: Client, users: dict[str, Any], in_approval: Estimate, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(users[OFFICER])
    path = reverse("estimates:approve", args=[in_approval.pk])
    with caplog.at_level(logging.WARNING, logger="security"):
        client.post(path)
    # (the security logger also has the sign-in, at INFO)
    [line] = [r.getMessage() for r in caplog.records if getattr(r, "event", "") == "refused"]
    assert path in line
    assert f"user={users[OFFICER].pk}" in line
    assert f"estimate={in_approval.pk}" in line
    assert OFFICER not in line


def test_the_auditor_reads_the_log_and_the_commune_officer_cannot(
    client: Client, users: dict[str, Any], in_approval: Estimate
) -> None:
    client.force_login(users[OFFICER])
    client.post(reverse("estimates:approve", args=[in_approval.pk]))
    log = reverse("security_refusals")
    assert client.get(log).status_code == 403
    assert (
        SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REFUSED).count() == 2
    )  # reading the log was refused, and recorded

    client.force_login(users["kiemtoan"])
    page = client.get(log)
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("estimates:approve", args=[in_approval.pk]) in text
    assert "Your role does not allow this on this estimate." in text
    assert log in text  # the officer's attempt to read it
    assert OFFICER in text

    for other in ("tckh", "pho.chutich", "hoi.huyen", "quansat"):
        client.force_login(users[other])
        assert client.get(log).status_code == 403, other


def test_the_log_shows_the_newest_hundred_per_page(client: Client, users: dict[str, Any]) -> None:
    SecurityEvent.objects.bulk_create(
        SecurityEvent(path=f"/estimates/{n}/approve/", method="POST", message=f"refusal {n}")
        for n in range(1, 106)
    )
    newest = SecurityEvent.objects.order_by("-pk").first()
    assert newest is not None
    SecurityEvent.objects.filter(pk=newest.pk).update(message="the newest")
    client.force_login(users["kiemtoan"])
    first = client.get(reverse("security_refusals")).content.decode()
    assert first.count("<tr>") == 1 + 100
    assert first.index("the newest") < first.index("refusal 104")
    second = client.get(reverse("security_refusals"), {"page": 2}).content.decode()
    assert second.count("<tr>") == 1 + 5


def test_the_admin_shows_the_log_read_only(client: Client, users: dict[str, Any]) -> None:
    event = SecurityEvent.objects.create(path="/x/", method="POST", message="No")
    admin = get_user_model().objects.create_superuser("quantri", password="x")
    client.force_login(admin)
    assert client.get("/admin/core/securityevent/").status_code == 200
    assert client.get(f"/admin/core/securityevent/{event.pk}/change/").status_code == 200
    assert client.get("/admin/core/securityevent/add/").status_code == 403
    assert client.get(f"/admin/core/securityevent/{event.pk}/delete/").status_code == 403
    client.post(f"/admin/core/securityevent/{event.pk}/change/", {"message": "Yes"})
    event.refresh_from_db()
    assert event.message == "No"


def test_requests_are_not_wrapped_in_a_transaction() -> None:
    """The record is written after the view returned: with ATOMIC_REQUESTS it would roll
    back with the refused request."""
    from config.settings import base

    assert base.DATABASES["default"]["ATOMIC_REQUESTS"] is False
    assert connection.settings_dict["ATOMIC_REQUESTS"] is False
