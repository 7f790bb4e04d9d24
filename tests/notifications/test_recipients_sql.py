"""The transitions' recipients come from one hand-written statement
(``notifications.recipients.actor_ids_for``): it must name exactly the people that
``actors_for`` (built from the access gate's and the delegations' querysets) names, for
every permission and unit, with delegations in force, revoked, expired, and people
deactivated."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from delegations.models import Delegation
from delegations.services import delegation_revoke
from notifications.recipients import actor_ids_for, actors_for
from organization import permissions as perms
from organization.models import Membership, Role, Unit
from tests.notifications.helpers import People

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = datetime.date(2026, 11, 2)
CODENAMES = [
    perms.VIEW,
    perms.DRAFT,
    perms.REVIEW,
    perms.APPRAISE,
    perms.APPROVE,
    perms.DISBURSE,
    perms.VERIFY,
]


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=HCM), tick=False):
        yield


def same_everywhere() -> int:
    """actor_ids_for == actors_for for every codename on every commune and the district;
    returns how many (codename, unit) pairs had someone."""
    with_people = 0
    for unit in Unit.objects.filter(code__in=["si-lo-lau", "mu-sang", "phong-tho"]):
        for codename in CODENAMES:
            expected = [u.pk for u in actors_for(codename, unit)]
            assert actor_ids_for(codename, unit) == expected, (codename, unit.code)
            with_people += bool(expected)
    return with_people


def test_the_statement_names_the_holders_the_querysets_name(people: People) -> None:
    assert same_everywhere() >= 10


def test_and_the_delegates_in_force_and_no_one_else(people: People) -> None:
    membership = Membership.objects.get(user=people.approver, role=Role.APPROVER)
    delegation = Delegation.objects.create(
        delegator=people.approver,
        delegate=people.approver2,
        membership=membership,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=3),
        reason="Nghỉ phép",
        created_by=people.approver,
    )
    commune = Unit.objects.get(code="si-lo-lau")
    assert people.approver2.pk in actor_ids_for(perms.APPROVE, commune)
    same_everywhere()
    # The delegate no longer a member of the role's unit in the groups (as before a sync):
    # a holder no more, still a delegate while the membership lasts.
    people.approver2.groups.clear()
    assert people.approver2.pk in actor_ids_for(perms.APPROVE, commune)
    same_everywhere()
    Membership.objects.filter(user=people.approver2).update(is_active=False)
    assert people.approver2.pk not in actor_ids_for(perms.APPROVE, commune)
    same_everywhere()
    Membership.objects.filter(user=people.approver2).update(is_active=True)
    people.approver.is_active = False
    people.approver.save(update_fields=["is_active"])
    same_everywhere()
    people.approver.is_active = True
    people.approver.save(update_fields=["is_active"])
    delegation_revoke(delegation=delegation, actor=people.approver)
    assert people.approver2.pk not in actor_ids_for(perms.APPROVE, commune)
    same_everywhere()
    Delegation.objects.create(
        delegator=people.approver,
        delegate=people.approver2,
        membership=membership,
        starts_on=TODAY - datetime.timedelta(days=9),
        ends_on=TODAY - datetime.timedelta(days=1),
        reason="Đã hết",
        created_by=people.approver,
    )
    assert people.approver2.pk not in actor_ids_for(perms.APPROVE, commune)
    same_everywhere()
