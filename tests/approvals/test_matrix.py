"""Role × stage × action: only the right person acts; every wrong actor is refused and
nothing changes. Superusers are not exempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.http import Http404

from approvals import services
from approvals.models import AuditEntry
from core.errors import Forbidden
from estimates.models import Estimate, Plan
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync

People = dict[str, AbstractUser]

ACTIONS: dict[str, Callable[[Any, Estimate], Any]] = {
    "submit": lambda u, e: services.estimate_submit(actor=u, estimate_id=e.pk),
    "withdraw": lambda u, e: services.estimate_withdraw(actor=u, estimate_id=e.pk, reason="r"),
    "forward": lambda u, e: services.estimate_forward(actor=u, estimate_id=e.pk),
    "return": lambda u, e: services.estimate_return(actor=u, estimate_id=e.pk, reason="r"),
    "appraise": lambda u, e: services.estimate_appraise(actor=u, estimate_id=e.pk),
    "approve": lambda u, e: services.estimate_approve(actor=u, estimate_id=e.pk),
}

#: status -> action -> who may do it
ALLOWED = {
    "draft": {"submit": {"hoi.silolau", "sep"}, "withdraw": {"hoi.silolau", "sep"}},
    "returned": {"submit": {"hoi.silolau", "sep"}},
    "review": {
        "forward": {"hoi.huyen"},
        "return": {"hoi.huyen"},
        "withdraw": {"hoi.silolau", "sep"},
    },
    "appraisal": {"appraise": {"tckh"}, "return": {"tckh"}},
    "approval": {"approve": {"pho.chutich"}, "return": {"pho.chutich"}},
}
#: who cannot even see a Sì Lở Lầu estimate (answered 404, like a missing one)
BLIND = {"hoi.namxe", "admin"}
ACTORS = [
    "hoi.silolau",
    "hoi.namxe",
    "ubnd.silolau",
    "hoi.huyen",
    "tckh",
    "pho.chutich",
    "ketoan",
    "quansat",
    "kiemtoan",
    "admin",
    "sep",
]

CASES = [
    pytest.param(status, action, actor, id=f"{status}-{action}-{actor}")
    for status, actions in ALLOWED.items()
    for action in actions
    for actor in ACTORS
]


@pytest.mark.parametrize(("status", "action", "actor"), CASES)
def test_only_the_right_role_acts(
    make_estimate: Callable[..., Estimate], people: People, status: str, action: str, actor: str
) -> None:
    est = make_estimate(status)
    entries = AuditEntry.objects.count()
    if actor in ALLOWED[status][action]:
        ACTIONS[action](people[actor], est)
        assert AuditEntry.objects.count() == entries + 1
        return
    expected: type[Exception] = Http404 if actor in BLIND else Forbidden
    with pytest.raises(expected):
        ACTIONS[action](people[actor], est)
    est.refresh_from_db()
    assert est.status == status
    assert AuditEntry.objects.count() == entries


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
