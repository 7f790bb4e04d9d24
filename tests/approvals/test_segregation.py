"""Segregation of duties and the drafting unit: one person never acts on two stages of
the same estimate, even a superuser who holds the roles; a commune drafts for itself only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractUser

from approvals import services
from core.errors import Forbidden
from estimates.models import Estimate, Plan
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync

People = dict[str, AbstractUser]


def test_superuser_who_submitted_cannot_approve(
    make_estimate: Callable[..., Estimate], people: People
) -> None:
    boss = people["sep"]
    Membership.objects.create(
        user=boss, unit=Unit.objects.get(code="phong-tho.ubnd"), role=Role.APPROVER
    )
    access_sync()
    est = make_estimate("approval", drafter="sep")
    with pytest.raises(Forbidden, match="drafted or submitted"):
        services.estimate_approve(actor=boss, estimate_id=est.pk)
    est.refresh_from_db()
    assert est.status == "approval"


def test_one_person_cannot_act_on_two_stages(
    make_estimate: Callable[..., Estimate], people: People
) -> None:
    reviewer = people["hoi.huyen"]
    Membership.objects.create(
        user=reviewer, unit=Unit.objects.get(code="phong-tho.tckh"), role=Role.FINANCE_OFFICER
    )
    access_sync()
    est = make_estimate("appraisal")  # forwarded by hoi.huyen
    with pytest.raises(Forbidden, match="two stages"):
        services.estimate_appraise(actor=reviewer, estimate_id=est.pk)
    # a reviewer who returned may still forward after the revision: same stage
    other = make_estimate("review")
    services.estimate_return(actor=reviewer, estimate_id=other.pk, reason="Bổ sung")
    services.estimate_submit(actor=people["hoi.silolau"], estimate_id=other.pk)
    services.estimate_forward(actor=reviewer, estimate_id=other.pk)


def test_commune_cannot_draft_for_another_commune(plan: Plan, people: People) -> None:
    from tests.factories import club_input

    with pytest.raises(Exception, match="own unit"):
        services.estimate_create(
            actor=people["hoi.silolau"],
            plan=plan,
            unit=Unit.objects.get(code="nam-xe"),
            data=club_input(plan),
        )
    assert not Estimate.objects.exists()
