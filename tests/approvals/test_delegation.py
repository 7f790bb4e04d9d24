"""A delegate acts for the vice chair within the dates only; history shows both names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from approvals import services
from approvals.models import AuditEntry, Decision
from core.errors import Forbidden
from delegations.services import delegation_create
from estimates.models import Estimate
from notifications.models import OutboxEvent
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync

People = dict[str, AbstractUser]


@pytest.fixture
def deputy(people: People) -> AbstractUser:
    """A second vice chair of the district People's Committee."""
    user = get_user_model().objects.create_user(
        "pho.chutich2", password="x", first_name="Phó Chủ tịch thứ hai"
    )
    Membership.objects.create(
        user=user, unit=Unit.objects.get(code="phong-tho.ubnd"), role=Role.APPROVER
    )
    access_sync()
    return user


@time_machine.travel(dt.datetime(2024, 10, 1, 9, tzinfo=dt.UTC), tick=False)
def test_delegate_acts_for_the_vice_chair_within_the_dates(
    make_estimate: Callable[..., Estimate], people: People, deputy: AbstractUser
) -> None:
    chair = people["pho.chutich"]
    delegation_create(
        delegator=chair,
        delegate=deputy,
        membership=Membership.objects.get(user=chair, role=Role.APPROVER),
        starts_on=dt.date(2024, 10, 1),
        ends_on=dt.date(2024, 10, 5),
        reason="Đi công tác tỉnh",
        actor=chair,
    )
    est = make_estimate("approval")
    services.estimate_approve(actor=deputy, estimate_id=est.pk, acting_for=chair)
    entry = AuditEntry.objects.get(estimate=est, action="estimate.approved")
    assert (entry.actor, entry.acting_for) == (deputy, chair)
    assert "pho.chutich" in entry.acting_for_name
    event = OutboxEvent.objects.get(estimate=est, kind="estimate.approved")
    assert (event.actor, event.acting_for) == (deputy, chair)
    # the chair, for whom the deputy acted, cannot then pay the estimate out either
    assert entry.stage == "approval"
    decision = Decision.objects.get(estimate=est)
    assert decision.issued_on == dt.date(2024, 10, 1)
    assert decision.snapshot["signer"] == {
        "capacity": ["TL. CHỦ TỊCH"],
        "name": "Phó Chủ tịch thứ hai",
        "acting_for": chair.get_full_name() or chair.get_username(),
    }

    other = make_estimate("approval")
    with (
        time_machine.travel(dt.datetime(2024, 10, 7, 9, tzinfo=dt.UTC), tick=False),
        pytest.raises(Forbidden, match="no delegation"),
    ):
        services.estimate_approve(actor=deputy, estimate_id=other.pk, acting_for=chair)
    other.refresh_from_db()
    assert other.status == "approval"


def test_acting_for_someone_who_never_delegated_is_refused(
    make_estimate: Callable[..., Estimate], people: People, deputy: AbstractUser
) -> None:
    est = make_estimate("approval")
    with pytest.raises(Forbidden, match="no delegation"):
        services.estimate_approve(
            actor=deputy, estimate_id=est.pk, acting_for=people["pho.chutich"]
        )
    assert not AuditEntry.objects.filter(estimate=est, action="estimate.approved").exists()
