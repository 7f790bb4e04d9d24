"""Delegation: refused when wrong, in force only within its dates and for its role, and the
history shows who acted for whom."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import translation

from approvals import services as approvals
from core.errors import Forbidden, RuleViolation
from core.text import field_limit
from delegations.models import Delegation
from delegations.selectors import acting_for_options, actor_label, delegations_active_for
from delegations.services import delegation_create, delegation_revoke
from estimates.models import Estimate, EstimateStatus
from notifications.models import Delivery, EventKind, Notification
from organization import permissions as perms
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.notifications.helpers import People, event_of
from tests.texts import composed, decomposed

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = datetime.date(2026, 11, 2)
D = datetime.timedelta


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    # Messages are checked in English, so translating them does not break the tests.
    with (
        time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=HCM), tick=False),
        translation.override("en"),
    ):
        yield


def approver_membership(people: People) -> Membership:
    return Membership.objects.get(user=people.approver, role=Role.APPROVER)


def delegate(people: People, **overrides: object) -> Delegation:
    args: dict[str, object] = {
        "delegator": people.approver,
        "delegate": people.approver2,
        "membership": approver_membership(people),
        "starts_on": TODAY + D(days=1),
        "ends_on": TODAY + D(days=7),
        "reason": "Nghỉ phép",
        "actor": people.approver,
    }
    args.update(overrides)
    return delegation_create(**args)  # type: ignore[arg-type]


def test_a_delegation_is_in_force_only_within_its_dates(people: People) -> None:
    delegation = delegate(people)
    commune = Unit.objects.get(code="si-lo-lau")
    options = acting_for_options
    assert options(people.approver2, perms.APPROVE, commune, TODAY) == []
    for day in (TODAY + D(days=1), TODAY + D(days=7)):
        assert options(people.approver2, perms.APPROVE, commune, day) == [people.approver]
        assert delegations_active_for(people.approver2, day) == [delegation]
    assert options(people.approver2, perms.APPROVE, commune, TODAY + D(days=8)) == []


def test_a_delegation_covers_only_the_delegated_role(people: People) -> None:
    # The vice chair also keeps the books; only the approver role was delegated.
    Membership.objects.create(
        user=people.approver, unit=Unit.objects.get(code="phong-tho.tckh"), role=Role.ACCOUNTANT
    )
    access_sync()
    delegate(people)
    day = TODAY + D(days=2)
    commune = Unit.objects.get(code="si-lo-lau")
    assert acting_for_options(people.approver2, perms.APPROVE, commune, day) == [people.approver]
    assert acting_for_options(people.approver2, perms.DISBURSE, commune, day) == []
    assert acting_for_options(people.approver2, perms.REVIEW, commune, day) == []
    # The delegator's colleagues get nothing from it.
    assert acting_for_options(people.reviewer, perms.APPROVE, commune, day) == []


def test_revoking_ends_it_and_the_delegate_losing_the_role_too(people: People) -> None:
    delegation = delegate(people, starts_on=TODAY)
    commune = Unit.objects.get(code="si-lo-lau")
    assert acting_for_options(people.approver2, perms.APPROVE, commune, TODAY) == [people.approver]
    Membership.objects.filter(user=people.approver2).update(is_active=False)
    assert acting_for_options(people.approver2, perms.APPROVE, commune, TODAY) == []
    Membership.objects.filter(user=people.approver2).update(is_active=True)
    with pytest.raises(Forbidden):
        delegation_revoke(delegation=delegation, actor=people.approver2)
    delegation_revoke(delegation=delegation, actor=people.approver)
    delegation_revoke(delegation=delegation, actor=people.approver)  # twice is a no-op
    assert acting_for_options(people.approver2, perms.APPROVE, commune, TODAY) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"delegate": "accountant"}, "does not hold the role"),
        ({"delegate": "approver"}, "yourself"),
        ({"starts_on": TODAY - D(days=1)}, "cannot start in the past"),
        ({"ends_on": TODAY}, "end date must be on or after"),
        ({"reason": "  "}, "reason"),
    ],
)
def test_bad_delegations_are_refused_with_a_clear_message(
    people: People, overrides: dict[str, object], message: str
) -> None:
    if isinstance(overrides.get("delegate"), str):
        overrides = {**overrides, "delegate": getattr(people, str(overrides["delegate"]))}
    with pytest.raises(RuleViolation, match=message):
        delegate(people, **overrides)
    assert not Delegation.objects.exists()


def test_overlapping_delegations_are_refused(people: People) -> None:
    delegate(people)
    with pytest.raises(RuleViolation, match="overlaps the delegation to Approver2"):
        delegate(people, starts_on=TODAY + D(days=7), ends_on=TODAY + D(days=9))
    delegate(people, starts_on=TODAY + D(days=8), ends_on=TODAY + D(days=9))  # adjacent: fine


def test_a_revoked_delegation_no_longer_blocks_new_dates(people: People) -> None:
    first = delegate(people)
    delegation_revoke(delegation=first, actor=people.approver)
    delegate(people)


def test_only_the_delegator_delegates_their_own_role(people: People) -> None:
    with pytest.raises(Forbidden):
        delegate(people, actor=people.approver2)
    with pytest.raises(RuleViolation, match="not one of the delegator"):
        delegate(
            people,
            membership=Membership.objects.get(user=people.approver2),
        )


def test_what_the_delegate_does_is_shown_as_acting_for(
    lived: Callable[..., Estimate], people: People, django_capture_on_commit_callbacks
) -> None:
    delegate(people, starts_on=TODAY)
    estimate = lived(EstimateStatus.APPROVAL)
    with django_capture_on_commit_callbacks(execute=True):
        approvals.estimate_approve(
            actor=people.approver2, estimate_id=estimate.pk, acting_for=people.approver
        )
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.APPROVED
    event = event_of(estimate, EventKind.APPROVED)
    assert (event.actor, event.acting_for) == (people.approver2, people.approver)
    assert (
        actor_label(people.approver2, people.approver)
        == "Approver2, acting for Phó Chủ tịch UBND huyện"
    )
    note = Notification.objects.get(recipient=people.drafter)  # in the drafter's Vietnamese
    with translation.override("vi"):
        assert actor_label(people.approver2, people.approver) in note.body
    # Neither the delegate nor the person they acted for is told about their own act.
    assert not Delivery.objects.filter(
        event=event, recipient__in=[people.approver, people.approver2]
    ).exists()


def test_the_delegation_page(people: People, client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(people.approver)
    assert client.get("/delegations/").status_code == 200
    form = {
        "membership": approver_membership(people).pk,
        "delegate": people.approver2.pk,
        "starts_on": "2026-11-03",
        "ends_on": "2026-11-09",
        "reason": "Đi công tác",
    }
    assert client.post("/delegations/", form).status_code == 302
    delegation = Delegation.objects.get()
    page = client.get("/delegations/").content.decode()
    assert "Đi công tác" in page
    refused = client.post("/delegations/", {**form, "starts_on": "2026-11-05"})
    assert refused.status_code == 400
    assert "overlaps" in refused.content.decode()
    client.force_login(people.approver2)
    assert "Đi công tác" in client.get("/delegations/").content.decode()  # received
    assert client.post(f"/delegations/{delegation.pk}/revoke/").status_code == 404
    client.force_login(people.approver)
    assert client.post(f"/delegations/{delegation.pk}/revoke/").status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None


def test_a_reason_is_held_to_its_model_field_on_the_page_and_in_the_service(
    people: People, client: Client
) -> None:
    limit = field_limit(Delegation, "reason")
    with pytest.raises(RuleViolation, match=f"At most {limit}") as refused:
        delegate(people, reason=decomposed(limit + 1))
    assert refused.value.field == "reason"
    with pytest.raises(RuleViolation, match="U\\+200B") as refused:
        delegate(people, reason="Nghỉ\u200b phép")
    assert refused.value.field == "reason"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(people.approver)
    form = {
        "membership": approver_membership(people).pk,
        "delegate": people.approver2.pk,
        "starts_on": "2026-11-03",
        "ends_on": "2026-11-09",
        "reason": decomposed(limit + 1),
    }
    refused_page = client.post("/delegations/", form)
    assert refused_page.status_code == 400
    assert f"At most {limit}" in refused_page.context["form"].errors["reason"][0]
    assert not Delegation.objects.exists()
    assert client.post("/delegations/", {**form, "reason": decomposed(limit)}).status_code == 302
    assert Delegation.objects.get().reason == composed(limit)
