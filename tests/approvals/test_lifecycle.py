"""The lifecycle table against everything that must agree with it: viewflow's flow graph,
the API's action routes, the web's action routes, the notification kinds; and the actions
offered to a user against what the services then allow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.http import Http404
from django.urls import NoReverseMatch, URLPattern, get_resolver, reverse
from viewflow.workflow import PROCESS, STATUS, flow

from api.views import EstimateViewSet
from approvals import lifecycle, services
from approvals.access import actions_allowed
from approvals.lifecycle import TRANSITIONS
from approvals.models import Stage
from core.errors import Conflict, Forbidden, RuleViolation
from estimates.models import ROUTE_DIRECT, ROUTE_REVIEWED, Estimate, EstimateStatus
from notifications.models import EventKind
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import estimate_in_status, estimate_input, user_make
from web.urls import ATTACHMENT_PAGES, READ_PAGES
from workflows.engine import process_for
from workflows.flows import EstimateFlow
from workflows.nodes import Close, RoutedView

S = EstimateStatus


# ---------------------------------------------------------------------------------------
# The table is consistent with itself


def test_every_status_that_waits_has_one_acting_permission_and_one_flow_node() -> None:
    waiting = set(S.values) - lifecycle.FINAL_STATUSES
    assert set(lifecycle.STATUS_PERMISSIONS) == waiting
    assert set(lifecycle.STATUS_NODES) == waiting
    assert set(lifecycle.WAITING_ON) == waiting
    assert {S.CLOSED, S.WITHDRAWN} == lifecycle.FINAL_STATUSES
    for status in waiting:
        inbox_rows = [t for t in lifecycle.transitions_from(status) if t.inbox]
        assert len({t.permission for t in inbox_rows}) == 1, status
        nodes = {t.flow_node for t in lifecycle.transitions_from(status) if t.flow_node}
        assert len(nodes) == 1, (status, nodes)


def test_rows_are_well_formed() -> None:
    seen: set[tuple[str, str]] = set()
    for t in TRANSITIONS:
        assert t.stage in Stage.values
        assert t.stage in lifecycle.STAGE_GROUPS
        assert t.sources <= set(S.values)
        assert t.ends_in <= set(S.values)
        assert t.event.startswith("estimate.")
        assert not (t.target and t.targets), t.name
        assert bool(t.targets) == bool(t.route_by), t.name
        for status in t.sources:
            assert (t.name, status) not in seen, f"two rows of {t.name} from {status}"
            seen.add((t.name, status))
        if t.changes_status:
            assert t.flow_node or t.ends_in <= lifecycle.FINAL_STATUSES, t.name
        else:
            assert not t.flow_node, t.name
    assert set(EventKind.values) >= lifecycle.EVENT_KINDS


def test_the_derived_sets_are_the_ones_the_product_used() -> None:
    assert {S.DRAFT, S.RETURNED} == lifecycle.EDITABLE_STATUSES
    assert {
        S.REVIEW,
        S.APPRAISAL,
        S.APPROVAL,
        S.APPROVED,
        S.SETTLEMENT,
    } == lifecycle.ACTING_STATUSES
    assert lifecycle.sources_of("withdraw") == {
        S.DRAFT,
        S.RETURNED,
        S.REVIEW,
        S.APPRAISAL,
        S.APPROVAL,
    }
    assert {S.APPROVED, S.SETTLEMENT, S.CLOSED} == lifecycle.MONEY_STATUSES
    assert lifecycle.return_choices(S.APPRAISAL, ROUTE_REVIEWED) == ["drafter", "review"]
    assert lifecycle.return_choices(S.APPRAISAL, ROUTE_DIRECT) == ["drafter"]
    assert lifecycle.return_choices(S.APPROVED, ROUTE_REVIEWED) == []


def test_who_is_told() -> None:
    assert lifecycle.audience("estimate.submitted", S.REVIEW) == (lifecycle.NEXT,)
    assert lifecycle.audience("estimate.returned", S.RETURNED) == (lifecycle.DRAFTER,)
    assert lifecycle.audience("estimate.returned", S.REVIEW) == (
        lifecycle.NEXT,
        lifecycle.DRAFTER,
    )
    assert lifecycle.audience("estimate.approved", S.APPROVED) == (
        lifecycle.NEXT,
        lifecycle.DRAFTER,
    )
    assert lifecycle.audience("estimate.disbursed", S.APPROVED) == (lifecycle.DRAFTER,)
    assert lifecycle.audience("estimate.closed", S.CLOSED) == (lifecycle.DRAFTER,)
    assert lifecycle.audience("estimate.edited", S.DRAFT) == ()


# ---------------------------------------------------------------------------------------
# The table against the flow, the API and the pages


def _flow_successors(node_name: str) -> set[str]:
    """The human tasks (or ``end``) reachable from ``node_name`` through gateways."""
    nodes = {n.name: n for n in EstimateFlow.instance.nodes()}
    found: set[str] = set()
    stack = [e.dst.name for e in nodes[node_name]._outgoing()]
    while stack:
        name = stack.pop()
        if isinstance(nodes[name], flow.View | flow.End):
            found.add(name)
        else:
            stack.extend(e.dst.name for e in nodes[name]._outgoing())
    return found


def test_the_flow_has_one_path_at_a_time() -> None:
    """Its end finishes the process without counting other active tasks
    (``workflows.nodes.Close``): that holds only while nothing splits or joins."""
    kinds = {type(n) for n in EstimateFlow.instance.nodes()}
    assert kinds == {flow.StartHandle, RoutedView, Close}, kinds


def test_the_table_matches_the_flow_graph() -> None:
    human = {n.name for n in EstimateFlow.instance.nodes() if isinstance(n, flow.View)}
    assert set(lifecycle.STATUS_NODES.values()) == human, "a flow task with no table row"
    for t in TRANSITIONS:
        if not t.flow_node:
            continue
        reachable = _flow_successors(t.flow_node)
        for status in t.ends_in:
            expected = "end" if status in lifecycle.FINAL_STATUSES else None
            expected = expected or lifecycle.STATUS_NODES[status]
            assert expected in reachable, f"{t.name}: the flow cannot go {t.flow_node}→{status}"


def test_the_table_matches_the_api_routes() -> None:
    actions = [a for a in EstimateViewSet.get_extra_actions() if "post" in a.mapping]
    assert {a.url_path for a in actions} == set(lifecycle.ACTION_NAMES) - {"update"}
    assert hasattr(EstimateViewSet, "update"), "update is PUT /api/v1/estimates/{id}/"
    for a in actions:
        assert reverse(f"api:estimate-{a.url_name}", args=[1]).endswith(f"/{a.url_path}/")


def _web_action_routes() -> set[str]:
    """The names of the web routes under one estimate (<pk>/) but its read pages
    (``web.urls.READ_PAGES``: the estimate, its versions, its documents) and its
    attachments (``web.urls.ATTACHMENT_PAGES``: they change no status)."""
    resolver = get_resolver()
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if str(pattern.pattern) != "estimates/":
            continue
        for sub in pattern.url_patterns:  # type: ignore[union-attr]
            if isinstance(sub, URLPattern) and str(sub.pattern).startswith("<int:pk>/"):
                names.add(sub.name or "")
    return names - READ_PAGES - ATTACHMENT_PAGES


def test_the_table_matches_the_web_routes() -> None:
    routes = _web_action_routes()
    assert routes == {t.url_name for t in TRANSITIONS + lifecycle.AMENDMENT_TRANSITIONS}
    for t in TRANSITIONS:
        args = [1, 1] if t.name == "clear-advance" else [1]
        try:
            reverse(f"estimates:{t.url_name}", args=args)
        except NoReverseMatch:  # pragma: no cover - the failure is the message
            pytest.fail(f"no page for {t.name}")


def test_the_consistency_checks_catch_a_missing_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """A route without a row fails the checks above: drop the settle row and they see it."""
    without = tuple(t for t in TRANSITIONS if t.name != "settle")
    monkeypatch.setattr(lifecycle, "TRANSITIONS", without)
    monkeypatch.setattr(lifecycle, "ACTION_NAMES", tuple(t.name for t in without))
    monkeypatch.setattr("tests.approvals.test_lifecycle.TRANSITIONS", without)
    with pytest.raises(AssertionError):
        test_the_table_matches_the_api_routes()
    with pytest.raises(AssertionError):
        test_the_table_matches_the_web_routes()


# ---------------------------------------------------------------------------------------
# The actions offered are the actions allowed


def _try(name: str, user: Any, estimate: Estimate, plan: Any, advance_id: int | None) -> bool:
    """Run the service of ``name`` as ``user`` with valid input, then undo it. True when it
    went through; False when the gate, segregation of duties or the state refused it."""
    today = dt.date(2024, 6, 10)
    calls = {
        "update": lambda: services.estimate_update(
            actor=user,
            estimate_id=estimate.pk,
            data=estimate_input(plan, estimate.unit),
        ),
        "submit": lambda: services.estimate_submit(actor=user, estimate_id=estimate.pk),
        "forward": lambda: services.estimate_forward(actor=user, estimate_id=estimate.pk),
        "return": lambda: services.estimate_return(
            actor=user, estimate_id=estimate.pk, reason="Thiếu"
        ),
        "appraise": lambda: services.estimate_appraise(actor=user, estimate_id=estimate.pk),
        "approve": lambda: services.estimate_approve(actor=user, estimate_id=estimate.pk),
        "withdraw": lambda: services.estimate_withdraw(
            actor=user, estimate_id=estimate.pk, reason="Không làm nữa"
        ),
        "disburse": lambda: services.estimate_disburse(
            actor=user,
            estimate_id=estimate.pk,
            kind="payment",
            paid_on=today,
            amount=1_000,
            source="current",
            document_type="withdrawal_order",
            document_number="KB-9",
            payee="Hội LHPN xã",
        ),
        "clear-advance": lambda: services.estimate_clear_advance(
            actor=user,
            estimate_id=estimate.pk,
            disbursement_id=advance_id or 0,
            cleared_on=today,
            document="Bảng kê 1",
        ),
        "settle": lambda: services.estimate_settle(
            actor=user,
            estimate_id=estimate.pk,
            lines=_settlement_lines(estimate),
        ),
        "verify-settlement": lambda: services.estimate_verify_settlement(
            actor=user, estimate_id=estimate.pk
        ),
        "return-settlement": lambda: services.estimate_return_settlement(
            actor=user, estimate_id=estimate.pk, reason="Sai chứng từ"
        ),
    }
    assert set(calls) == set(lifecycle.ACTION_NAMES)

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            calls[name]()
            raise Undo
    except Undo:
        return True
    except (Forbidden, Conflict, Http404):
        return False
    except RuleViolation as exc:  # pragma: no cover - the failure is the message
        pytest.fail(f"{name} by {user}: the test's input was refused: {exc}")


UNPAID = 1_000  # left undisbursed on the current year's money, so a payment is possible


def _settlement_lines(estimate: Estimate) -> list[dict[str, Any]]:
    """Each line spent in full, but for what was left unpaid on the first current line."""
    lines, left = [], UNPAID
    for line in estimate.lines.order_by("position"):
        spent = line.approved_amount or 0
        if line.source == "current" and left:
            spent, left = spent - left, 0
        lines.append({"line_id": line.pk, "spent": spent, "note": ""})
    return lines


def _pay(estimate: Estimate, users: dict[str, Any]) -> int:
    """The accountant pays the approved amount per source (an advance first) but for
    ``UNPAID`` đồng of the current year's money; returns the advance's id."""
    money: dict[str, int] = {}
    for line in estimate.lines.all():
        money[line.source] = money.get(line.source, 0) + (line.approved_amount or 0)
    money["current"] -= UNPAID
    advance_id = 0
    for i, (source, amount) in enumerate(sorted(money.items())):
        d = services.estimate_disburse(
            actor=users["ketoan"],
            estimate_id=estimate.pk,
            kind="advance" if i == 0 else "payment",
            paid_on=dt.date(2024, 6, 5),
            amount=amount,
            source=source,
            document_type="withdrawal_order",
            document_number=f"KB-{i}",
            payee="Hội LHPN xã",
        )
        advance_id = advance_id or d.pk
    return advance_id


@pytest.fixture
def two_roles(plan: Any, users: dict[str, Any]) -> Any:
    """Someone who is both a Sì Lở Lầu commune officer and a district Women's Union
    officer: may draft there and review there, never both on one estimate."""
    person = user_make("hai.vai")
    Membership.objects.create(
        user=person, unit=Unit.objects.get(code="si-lo-lau.hlhpn"), role=Role.COMMUNE_WU_OFFICER
    )
    Membership.objects.create(
        user=person, unit=Unit.objects.get(code="phong-tho.hlhpn"), role=Role.DISTRICT_WU
    )
    access_sync()
    return person


STATUSES = [S.DRAFT, S.RETURNED, S.REVIEW, S.APPRAISAL, S.APPROVAL, S.APPROVED, S.SETTLEMENT]


@pytest.mark.parametrize("status", [*STATUSES, S.CLOSED, S.WITHDRAWN])
@pytest.mark.parametrize("drafter", ["hoi.silolau", "hai.vai"])
def test_actions_offered_are_exactly_the_actions_the_services_allow(
    plan: Any, users: dict[str, Any], two_roles: Any, status: str, drafter: str
) -> None:
    people = {**users, "hai.vai": two_roles}
    before = S.APPROVED if status in (S.SETTLEMENT, S.CLOSED) else status
    unit = Unit.objects.get(code="si-lo-lau")
    estimate = estimate_in_status(before, plan=plan, drafter=people[drafter], unit_code=unit.code)
    advance_id = None
    if before == S.APPROVED:
        advance_id = _pay(estimate, people)
    if status in (S.SETTLEMENT, S.CLOSED):
        services.estimate_settle(
            actor=people[drafter],
            estimate_id=estimate.pk,
            lines=_settlement_lines(estimate),
        )
    if status == S.CLOSED:
        services.estimate_verify_settlement(actor=people["tckh"], estimate_id=estimate.pk)
    estimate.refresh_from_db()
    assert estimate.status == status
    for username, user in sorted(people.items()):
        user = type(user).objects.get(pk=user.pk)  # no cached grants from earlier steps
        offered = actions_allowed(user, [estimate])[estimate.pk]
        allowed = [
            name
            for name in lifecycle.ACTION_NAMES
            if _try(name, user, Estimate.objects.get(pk=estimate.pk), plan, advance_id)
        ]
        assert sorted(offered) == sorted(allowed), f"{username} at {status}"
    if drafter == "hai.vai" and status == S.REVIEW:
        offered = actions_allowed(two_roles, [estimate])[estimate.pk]
        assert "forward" not in offered and "return" not in offered
        assert "withdraw" in offered


def test_nobody_acts_on_a_closed_or_withdrawn_estimate(plan: Any, users: dict[str, Any]) -> None:
    estimate = estimate_in_status(S.WITHDRAWN, plan=plan)
    assert all(actions_allowed(user, [estimate])[estimate.pk] == [] for user in users.values())


def test_closing_an_estimate_finishes_its_flow(make_estimate: Any, people: dict[str, Any]) -> None:
    """Verifying the settlement ends the process: nothing is left waiting in anyone's
    viewflow inbox, and the end task is done."""
    estimate = make_estimate("settlement")
    services.estimate_verify_settlement(actor=people["tckh"], estimate_id=estimate.pk)
    process = process_for(estimate)
    assert process.status == PROCESS.DONE and process.finished is not None
    tasks = {t.flow_task.name: t.status for t in process.task_set.all()}
    assert tasks["end"] == STATUS.DONE
    assert not process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).exists()
