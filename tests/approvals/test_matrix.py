"""Role × stage × action, from the draft to the closed settlement: only the right person
acts; every wrong actor is refused and nothing changes. Superusers are not exempt.

One estimate per status is driven there through the services once for the whole module
(``matrix``), in a transaction rolled back after the module's last test; each case runs in
pytest-django's savepoint inside it, so what one case does is undone before the next and
every case meets the estimate exactly as built."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.http import Http404

from approvals import services
from approvals.models import AuditEntry
from core.errors import Conflict, Forbidden
from estimates.models import Estimate
from ledger.models import Disbursement, Entry, Settlement
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.conftest import reference_data_ensure
from tests.factories import club_input, estimate_in_status

People = dict[str, AbstractUser]

ACTIONS: dict[str, Callable[[Any, Estimate], Any]] = {
    "submit": lambda u, e: services.estimate_submit(actor=u, estimate_id=e.pk),
    "withdraw": lambda u, e: services.estimate_withdraw(actor=u, estimate_id=e.pk, reason="r"),
    "forward": lambda u, e: services.estimate_forward(actor=u, estimate_id=e.pk),
    "return": lambda u, e: services.estimate_return(actor=u, estimate_id=e.pk, reason="r"),
    "appraise": lambda u, e: services.estimate_appraise(actor=u, estimate_id=e.pk),
    "approve": lambda u, e: services.estimate_approve(actor=u, estimate_id=e.pk),
    "disburse": lambda u, e: services.estimate_disburse(
        actor=u,
        estimate_id=e.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 10),
        amount=100_000,
        source="current",
        document_type="payment_order",
        document_number="UNC-1",
        payee="Nhà văn hoá",
    ),
    "settle": lambda u, e: services.estimate_settle(
        actor=u, estimate_id=e.pk, lines=[{"line_id": ln.pk, "spent": 0} for ln in e.lines.all()]
    ),
    "verify-settlement": lambda u, e: services.estimate_verify_settlement(
        actor=u, estimate_id=e.pk
    ),
    "return-settlement": lambda u, e: services.estimate_return_settlement(
        actor=u, estimate_id=e.pk, reason="r"
    ),
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
    "approved": {"disburse": {"ketoan"}, "settle": {"hoi.silolau", "sep"}},
    "settlement": {"verify-settlement": {"tckh"}, "return-settlement": {"tckh"}},
    "closed": {},
}
#: The actions that move money after approval: each is tried at every status from
#: approval on; where it is not open, those who may take it elsewhere meet a conflict (the
#: estimate has moved on) and everybody else is refused as usual.
MONEY_ACTIONS = ("disburse", "settle", "verify-settlement", "return-settlement")
MONEY_STATUSES = ("approved", "settlement", "closed")
#: Who may take each action at the status where it is open.
MAY = {
    action: set().union(*(allowed.get(action, set()) for allowed in ALLOWED.values()))
    for action in ACTIONS
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
    if status not in MONEY_STATUSES
    for action in actions
    for actor in ACTORS
]
MONEY_CASES = [
    pytest.param(status, action, actor, id=f"{status}-{action}-{actor}")
    for status in MONEY_STATUSES
    for action in MONEY_ACTIONS
    for actor in ACTORS
]


@pytest.fixture(scope="module")
def matrix(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    """The ids of one club meeting of Sì Lở Lầu per status (``estimate_in_status``), and
    the superuser ``sep`` who also holds the commune officer role there; all rolled back
    after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        plan = reference_data_ensure()
        boss = get_user_model().objects.create_user(
            "sep", password="x", is_superuser=True, is_staff=True
        )
        Membership.objects.create(
            user=boss,
            unit=Unit.objects.get(code="si-lo-lau.hlhpn"),
            role=Role.COMMUNE_WU_OFFICER,
        )
        access_sync()
        yield {
            status: estimate_in_status(status, plan=plan, data=club_input(plan)).pk
            for status in ALLOWED
        }
        transaction.set_rollback(True)


@pytest.fixture
def case(matrix: dict[str, int], db: None) -> tuple[dict[str, int], People]:
    """The module's estimates (in this test's savepoint) and everybody, ``sep`` included."""
    return matrix, {u.username: u for u in get_user_model().objects.all()}


def written() -> tuple[int, int, int, int]:
    """What a refused action must leave as it was: audit trail, ledger, payments,
    settlements."""
    return (
        AuditEntry.objects.count(),
        Entry.objects.count(),
        Disbursement.objects.count(),
        Settlement.objects.count(),
    )


@pytest.mark.parametrize(("status", "action", "actor"), CASES)
def test_only_the_right_role_acts(
    case: tuple[dict[str, int], People], status: str, action: str, actor: str
) -> None:
    ids, people = case
    est = Estimate.objects.get(pk=ids[status])
    assert est.status == status
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


@pytest.mark.parametrize(("status", "action", "actor"), MONEY_CASES)
def test_only_the_right_role_moves_money(
    case: tuple[dict[str, int], People], status: str, action: str, actor: str
) -> None:
    ids, people = case
    est = Estimate.objects.get(pk=ids[status])
    assert est.status == status
    before = written()
    if actor in ALLOWED[status].get(action, set()):
        ACTIONS[action](people[actor], est)
        assert AuditEntry.objects.count() == before[0] + 1
        return
    expected: type[Exception]
    if actor in BLIND:
        expected = Http404
    elif actor in MAY[action]:
        expected = Conflict  # their action, at another status
    else:
        expected = Forbidden
    with pytest.raises(expected):
        ACTIONS[action](people[actor], est)
    est.refresh_from_db()
    assert est.status == status
    assert written() == before
