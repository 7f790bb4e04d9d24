"""The pages offering actions ask about delegations only for a user who may be someone's
delegate: whether they are is kept beside their grants, under the grants' version, which
every delegation saved renews (a delegation created after a page was shown is offered on
the next one)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from delegations.models import Delegation
from delegations.selectors import delegations_offered_for
from delegations.services import delegation_create, delegation_revoke
from organization import permissions as perms
from organization.models import Membership, Role
from tests.notifications.helpers import People

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = datetime.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=HCM), tick=False):
        yield


@pytest.fixture(autouse=True)
def people_committed(people: People) -> People:
    """The fixture's people as if committed: what their commit runs (the grants' renewal
    among it) runs now. Until then, a renewal is already due at commit and a change in the
    same transaction renews nothing (``perms.grants_changed``)."""
    pending, connection.run_on_commit = connection.run_on_commit, []
    for _savepoints, run, _robust in pending:
        run()
    return people


def _request_user(user: User) -> User:
    """The user as a new request reads it (nothing kept on the object), grants read."""
    fresh = User.objects.get(pk=user.pk)
    perms.unit_grants_of(fresh)
    return fresh


def _offered(user: User) -> tuple[list[Delegation], int]:
    """(the delegations offered to ``user`` today, the queries asked about delegations)."""
    fresh = _request_user(user)
    with CaptureQueriesContext(connection) as captured:
        found = delegations_offered_for(fresh, TODAY)
    return found, sum("delegations_delegation" in q["sql"] for q in captured.captured_queries)


def _delegate(people: People, captured: Any, **overrides: object) -> Delegation:
    args: dict[str, object] = {
        "delegator": people.approver,
        "delegate": people.approver2,
        "membership": Membership.objects.get(user=people.approver, role=Role.APPROVER),
        "starts_on": TODAY,
        "ends_on": TODAY + datetime.timedelta(days=7),
        "reason": "Nghỉ phép",
        "actor": people.approver,
    }
    args.update(overrides)
    with captured(execute=True):  # committed: its renewal of the grants' version runs
        return delegation_create(**args)  # type: ignore[arg-type]


def test_nobodys_delegate_is_asked_once_then_not_again(people: People) -> None:
    assert _offered(people.approver2) == ([], 1)
    assert _offered(people.approver2) == ([], 0)


def test_a_delegation_created_after_a_page_is_offered_on_the_next(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    assert _offered(people.approver2) == ([], 1)  # kept: nobody's delegate
    delegation = _delegate(people, django_capture_on_commit_callbacks)
    found, asked = _offered(people.approver2)
    assert found == [delegation]
    assert asked == 2  # the hint read again, then the delegations in force
    with django_capture_on_commit_callbacks(execute=True):
        delegation_revoke(delegation=delegation, actor=people.approver)
    assert _offered(people.approver2)[0] == []


def test_a_delegation_to_come_keeps_its_delegate_asking(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    tomorrow = TODAY + datetime.timedelta(days=1)
    _delegate(people, django_capture_on_commit_callbacks, starts_on=tomorrow)
    assert _offered(people.approver2) == ([], 2)  # named: the delegations are read
    assert _offered(people.approver2) == ([], 1)  # and read again, not the hint
    with time_machine.travel(datetime.datetime(2026, 11, 3, 9, 0, tzinfo=HCM), tick=False):
        fresh = _request_user(people.approver2)
        assert [d.delegator for d in delegations_offered_for(fresh, tomorrow)] == [people.approver]


def test_without_the_grants_version_the_delegations_are_read(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    delegation = _delegate(people, django_capture_on_commit_callbacks)
    fresh = User.objects.get(pk=people.approver2.pk)  # grants not read: version unknown
    with CaptureQueriesContext(connection) as captured:
        assert delegations_offered_for(fresh, TODAY) == [delegation]
    assert sum("delegations_delegation" in q["sql"] for q in captured.captured_queries) == 1


def test_a_list_shown_again_asks_nothing_about_delegations(
    people: People, client: Client, estimate: object
) -> None:
    client.force_login(people.drafter)
    assert client.get("/estimates/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/estimates/").status_code == 200
    assert not [q for q in captured.captured_queries if "delegations_delegation" in q["sql"]]
