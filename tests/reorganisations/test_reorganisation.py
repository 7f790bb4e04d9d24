"""A reorganisation of units applied in the middle of a year, with estimates at every
status: the work in flight, its money and its people move to the successors; the ledger
still reconciles to the đồng; closed work stays where it was; nothing is lost, nothing
happens twice, and a bad file writes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.audit import audit_verify
from approvals.models import AuditEntry, Decision, DecisionIssuer, DecisionRegister
from approvals.services.decisions import LOCAL_ZONE
from core.errors import DomainError
from delegations.selectors import acting_for_options
from delegations.services import delegation_create
from estimates.models import Estimate, EstimateStatus, EstimateVersion, Plan, PlanCommune
from estimates.plan_loader import plan_load_file
from ledger.models import Disbursement, EstimateAccount, SubEnvelope, Tranche
from ledger.selectors import cell_balances, commune_balances, ledger_reconcile
from ledger.services import subenvelope_set
from notifications.models import EventKind, OutboxEvent
from organization.models import Membership, Unit
from organization.permissions import DRAFT, REVIEW, VIEW, unit_ids_with
from reorganisations.file import ReorganisationFileError, reorganisation_file_read
from reorganisations.models import EstimateMove, Reorganisation
from reorganisations.services import reorganisation_apply
from reports.consolidated import consolidated_report
from reports.filters import ReportQuery
from tests.factories import demo_user, estimate_in_status, lines_of, member_make
from workflows.engine import active_task

S = EstimateStatus
EXAMPLE = Path(settings.BASE_DIR) / "reorganisations" / "data" / "lai-chau-2025.example.yaml"
IN_FLIGHT = (S.DRAFT, S.RETURNED, S.REVIEW, S.APPRAISAL, S.APPROVAL, S.APPROVED, S.SETTLEMENT)


@pytest.fixture
def world(plan: Plan) -> dict[str, Any]:
    """Shares for two communes to be merged; an estimate of Sì Lở Lầu at every status (the
    approved one partly paid, the closed one with money carried over), an approved one of
    Nậm Xe (no share: held by the cell) and a district estimate awaiting approval."""
    tckh, ketoan, drafter = demo_user("tckh"), demo_user("ketoan"), demo_user("hoi.silolau")
    subenvelope_set(
        plan=plan,
        commune=Unit.objects.get(code="si-lo-lau"),
        source="current",
        amount=200_000_000,
        actor=tckh,
    )
    subenvelope_set(
        plan=plan,
        commune=Unit.objects.get(code="vang-ma-chai"),
        source="current",
        amount=50_000_000,
        actor=tckh,
    )
    made = {status: estimate_in_status(status) for status in IN_FLIGHT if status != S.APPROVED}
    approved = estimate_in_status(S.APPROVED, lines=lines_of(("current", 10_000_000)))
    services.estimate_disburse(
        actor=ketoan,
        estimate_id=approved.pk,
        kind="payment",
        paid_on=dt.date(2025, 6, 20),
        amount=4_000_000,
        source="current",
        document_type="withdrawal_order",
        document_number="KB-01",
        payee="Hội LHPN xã",
    )
    made[S.APPROVED] = approved
    closed = estimate_in_status(S.APPROVED, lines=lines_of(("current", 8_000_000)))
    services.estimate_disburse(
        actor=ketoan,
        estimate_id=closed.pk,
        kind="payment",
        paid_on=dt.date(2025, 5, 5),
        amount=6_000_000,
        source="current",
        document_type="withdrawal_order",
        document_number="KB-02",
        payee="Hội LHPN xã",
    )
    line = closed.lines.get()
    services.estimate_settle(
        actor=drafter,
        estimate_id=closed.pk,
        lines=[{"line_id": line.pk, "spent": 4_000_000}],
        returned=1_000_000,
        return_document="GNT-01",
        carried=1_000_000,
        carried_use_by=dt.date(2025, 12, 31),
    )
    services.estimate_verify_settlement(actor=tckh, estimate_id=closed.pk)
    made[S.CLOSED] = Estimate.objects.get(pk=closed.pk)
    made[S.WITHDRAWN] = estimate_in_status(S.WITHDRAWN)
    nam_xe = estimate_in_status(S.APPROVED, unit_code="nam-xe")
    district = estimate_in_status(S.APPROVAL, level="district")
    return {"plan": plan, "estimates": made, "nam_xe": nam_xe, "district": district}


def _snapshot(estimate: Estimate) -> dict[str, Any]:
    """Everything an estimate carries that a move must not change."""
    estimate = Estimate.objects.get(pk=estimate.pk)
    return {
        "number": estimate.number,
        "status": estimate.status,
        "version": estimate.version,
        "amounts": (estimate.total_amount, estimate.appraised_amount, estimate.approved_amount),
        "lines": list(estimate.lines.values_list("pk", "amount", "approved_amount")),
        "versions": list(
            EstimateVersion.objects.filter(estimate=estimate).values_list("number", "total_amount")
        ),
        "history": list(
            AuditEntry.objects.filter(estimate=estimate).values_list("seq", "action", "hash")
        ),
        "accounts": list(
            EstimateAccount.objects.filter(estimate=estimate).values_list(
                "source", "reserved", "approved", "disbursed", "lapsed", "spent", "carried"
            )
        ),
        "disbursements": list(
            Disbursement.objects.filter(estimate=estimate).values_list("pk", "amount")
        ),
    }


def _apply(path: Path = EXAMPLE, **kw: Any) -> Any:
    return reorganisation_apply(spec=reorganisation_file_read(path), **kw)


def _counts() -> dict[str, Any]:
    return {
        "units": list(
            Unit.objects.order_by("pk").values_list("pk", "parent_id", "successor_id", "is_active")
        ),
        "estimates": list(Estimate.objects.order_by("pk").values_list("pk", "unit_id")),
        "memberships": list(
            Membership.objects.order_by("pk").values_list("pk", "unit_id", "is_active")
        ),
        "audit": AuditEntry.objects.count(),
        "outbox": OutboxEvent.objects.count(),
        "shares": list(
            SubEnvelope.objects.order_by("pk").values_list("pk", "commune_id", "amount")
        ),
        "tranches": list(Tranche.objects.order_by("pk").values_list("pk", "commune_id")),
        "plan_communes": PlanCommune.objects.count(),
        "reorganisations": Reorganisation.objects.count(),
        "issuers": list(DecisionIssuer.objects.order_by("pk").values_list("pk", "unit_id", "name")),
    }


# ---------------------------------------------------------------------------------------
# The example file on the plan's 15 communes.


def test_the_example_file_says_it_is_illustrative() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in text.splitlines()[0]
    spec = reorganisation_file_read(EXAMPLE)
    assert spec.illustrative is True
    communes = {m.old for m in spec.moves if m.kind == "merge" and m.successor.startswith("xa-")}
    assert len(communes) == 15


def test_applied_mid_year_the_work_in_flight_moves_whole_and_the_ledger_reconciles(
    world: dict[str, Any],
) -> None:
    plan, made = world["plan"], world["estimates"]
    assert ledger_reconcile(plan) == []
    cells_before = [c.as_dict() for c in cell_balances(plan)]
    before = {status: _snapshot(e) for status, e in made.items()}
    shares_before = {
        (s.commune.code, s.cell.source): (s.amount, s.reserved, s.committed)
        for s in SubEnvelope.objects.select_related("commune", "cell")
    }
    totals_before = _commune_totals(plan)

    _apply()

    # The ledger reconciles to the đồng, and every cell holds the same money.
    assert ledger_reconcile(plan) == []
    assert [c.as_dict() for c in cell_balances(plan)] == cells_before
    successor = Unit.objects.get(code="xa-si-lo-lau")
    for status, estimate in made.items():
        after = _snapshot(estimate)
        moved = Estimate.objects.get(pk=estimate.pk)
        history = before[status]["history"]
        if status in IN_FLIGHT:
            assert moved.unit == successor, status
            # history whole: every earlier entry as it was, then the move
            assert after["history"][: len(history)] == history
            assert [a for _s, a, _h in after["history"][len(history) :]] == ["estimate.transferred"]
            assert {k: v for k, v in after.items() if k != "history"} == {
                k: v for k, v in before[status].items() if k != "history"
            }
        else:  # closed and withdrawn stay under their historical unit
            assert moved.unit.code == "si-lo-lau", status
            assert after == before[status]
    assert Estimate.objects.get(pk=world["district"].pk).unit.code == "lai-chau"
    assert Estimate.objects.get(pk=world["nam_xe"].pk).unit.code == "xa-ban-lang"
    assert EstimateMove.objects.count() == len(IN_FLIGHT) + 2

    # The shares of the merged communes are the successor's, with what they hold.
    old = [shares_before[("si-lo-lau", "current")], shares_before[("vang-ma-chai", "current")]]
    merged = SubEnvelope.objects.get(commune=successor, cell__source="current")
    assert (merged.amount, merged.reserved, merged.committed) == tuple(
        sum(x) for x in zip(*old, strict=True)
    )
    assert not SubEnvelope.objects.filter(commune__code__in=["si-lo-lau", "vang-ma-chai"])
    # The money carried over at the closed estimate's settlement is the successor's to use.
    tranche = Tranche.objects.get(origin=made[S.CLOSED])
    assert (tranche.commune, tranche.amount) == (successor, 1_000_000)
    # Reports today: the successors carry their predecessors' money, closed work included.
    assert _commune_totals(plan) == totals_before
    codes = {c.code for c in commune_balances(plan)}
    assert "si-lo-lau" not in codes and "xa-si-lo-lau" in codes
    assert audit_verify() is None


def _commune_totals(plan: Plan) -> tuple[int, ...]:
    rows = commune_balances(plan)
    return tuple(
        sum(getattr(r, key) for r in rows)
        for key in ("reserved", "committed", "disbursed", "spent", "returned", "carried")
    )


def test_a_report_for_a_day_before_the_effective_date_shows_the_units_as_they_were(
    world: dict[str, Any], tmp_path: Path
) -> None:
    """Applied ahead of its date: as of today, the communes are those before the merger,
    each with its own money; with no date, the successor holds it all."""
    plan = world["plan"]
    today = dt.date.today()
    later = today + dt.timedelta(days=30)
    path = _variant(tmp_path, effective_on=later.isoformat(), code="ahead")
    before = {(r.code, r.source): r for r in commune_balances(plan)}
    _apply(path)
    as_was = {(r.code, r.source): r for r in commune_balances(plan, as_of=today)}
    assert ("si-lo-lau", "current") in as_was and ("xa-si-lo-lau", "current") not in as_was
    for key in (("si-lo-lau", "current"), ("vang-ma-chai", "current"), ("nam-xe", "carried")):
        assert as_was[key].committed == before[key].committed
        assert as_was[key].disbursed == before[key].disbursed
    now = {(r.code, r.source): r for r in commune_balances(plan)}
    assert now["xa-si-lo-lau", "current"].disbursed == sum(
        before[c, "current"].disbursed for c in ("si-lo-lau", "vang-ma-chai", "mo-si-san")
    )


def _variant(tmp_path: Path, *, effective_on: str, code: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('effective_on: "2025-07-01"', f'effective_on: "{effective_on}"')
    text = text.replace("code: lai-chau-2025-07-example", f"code: {code}")
    path = tmp_path / f"{code}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# Dry run, idempotence, atomicity.


def test_a_dry_run_prints_what_would_move_and_writes_nothing(world: dict[str, Any]) -> None:
    before = _counts()
    out = StringIO()
    call_command("apply_reorganisation", str(EXAMPLE), "--dry-run", stdout=out)
    assert _counts() == before
    text = out.getvalue()
    review = world["estimates"][S.REVIEW]
    assert f"estimate {review.number}" in text and "si-lo-lau → xa-si-lo-lau" in text
    assert "unit phong-tho.tckh → lai-chau.stc" in text
    assert "membership hoi.silolau" in text
    assert "share of si-lo-lau" in text and "200.000.000 ₫" in text
    assert "carried-over tranche" in text
    assert "decisions of xa-si-lo-lau issued by “ỦY BAN NHÂN DÂN XÃ SÌ LỞ LẦU (MINH HỌA)”" in text
    assert "Dry run: nothing was written." in text


def test_applying_twice_changes_nothing_the_second_time(world: dict[str, Any]) -> None:
    call_command("apply_reorganisation", str(EXAMPLE), stdout=StringIO())
    after_first = _counts()
    out = StringIO()
    call_command("apply_reorganisation", str(EXAMPLE), stdout=out)
    assert _counts() == after_first
    assert "nothing to do" in out.getvalue()
    assert ledger_reconcile(world["plan"]) == []


def test_it_is_all_or_nothing(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure at the last estimate leaves nothing of the earlier moves."""
    before = _counts()
    calls = []

    def failing(**kw: Any) -> None:
        calls.append(kw["estimate"].pk)
        if len(calls) == len(IN_FLIGHT) + 2:
            raise RuntimeError("the outbox is full")

    monkeypatch.setattr("reorganisations.services.transfer_emit", failing)
    with pytest.raises(RuntimeError):
        _apply()
    assert _counts() == before
    assert ledger_reconcile(world["plan"]) == []


# ---------------------------------------------------------------------------------------
# People and permissions, notices.


def test_successor_officers_can_act_and_the_old_units_take_no_new_work(
    world: dict[str, Any],
) -> None:
    made = world["estimates"]
    _apply()
    successor = Unit.objects.get(code="xa-si-lo-lau")
    officer, reviewer = demo_user("hoi.silolau"), demo_user("hoi.huyen")
    assert Membership.objects.get(user=officer, is_active=True).unit.code == "xa-si-lo-lau.hlhpn"
    # moved people act on the moved work, in the successor
    services.estimate_submit(actor=officer, estimate_id=made[S.DRAFT].pk)
    services.estimate_forward(actor=reviewer, estimate_id=made[S.REVIEW].pk)
    services.estimate_appraise(actor=demo_user("tckh"), estimate_id=made[S.APPRAISAL].pk)
    assert ledger_reconcile(world["plan"]) == []
    # the abolished commune is only viewed: nobody drafts or reviews there any more
    old = Unit.objects.get(code="si-lo-lau")
    assert old.pk not in unit_ids_with(demo_user("hoi.silolau"), DRAFT)
    assert old.pk not in unit_ids_with(reviewer, REVIEW)
    assert {successor.pk, old.pk} <= unit_ids_with(demo_user("hoi.silolau"), VIEW)


def test_people_whose_membership_ends_can_no_longer_act(plan: Plan, tmp_path: Path) -> None:
    draft = estimate_in_status(S.DRAFT)
    old_officer = demo_user("hoi.silolau")
    task = active_task(draft)
    task.flow_task.activation_class(task).assign(old_officer)  # taken in viewflow's inbox
    path = tmp_path / "end.yaml"
    path.write_text(
        "reorganisation:\n"
        "  code: end-staff\n"
        "  title: Hai xã thành một\n"
        "  effective_on: '2025-07-01'\n"
        "  illustrative: true\n"
        "units:\n"
        "  - {code: xa-moi, name: Xã Mới, kind: commune, parent: lai-chau}\n"
        "merges:\n"
        "  - {into: xa-moi, from: [si-lo-lau, vang-ma-chai], staff: end}\n",
        encoding="utf-8",
    )
    _apply(path)
    task.refresh_from_db()
    assert (task.owner, task.status) == (None, "NEW")  # back in the successor's inbox
    assert not Membership.objects.filter(user=old_officer, is_active=True).exists()
    with pytest.raises((DomainError, Http404)):
        services.estimate_submit(actor=old_officer, estimate_id=draft.pk)
    newcomer = member_make("can.bo.moi", "xa-moi.hlhpn", "commune_wu_officer")
    services.estimate_submit(actor=newcomer, estimate_id=draft.pk)
    assert Estimate.objects.get(pk=draft.pk).status == S.REVIEW


def test_the_successors_officers_are_told_the_work_they_inherit(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    made = world["estimates"]
    with django_capture_on_commit_callbacks() as callbacks:
        _apply()
    events = {e.estimate_id: e for e in OutboxEvent.objects.filter(kind=EventKind.TRANSFERRED)}
    assert set(events) == {e.pk for s, e in made.items() if s in IN_FLIGHT} | {
        world["nam_xe"].pk,
        world["district"].pk,
    }
    assert events[made[S.REVIEW].pk].recipients == [demo_user("hoi.huyen").pk]
    assert demo_user("hoi.silolau").pk in events[made[S.DRAFT].pk].recipients
    assert events[world["district"].pk].recipients == [demo_user("pho.chutich").pk]
    assert callbacks, "the events are published after commit"


# ---------------------------------------------------------------------------------------
# Bad input: refused with the line and the field, nothing written.

HEAD = (
    "reorganisation:\n"
    "  code: {code}\n"
    "  title: Sắp xếp\n"
    "  effective_on: '{date}'\n"
    "  illustrative: true\n"
)


def _file(tmp_path: Path, body: str, *, code: str = "bad", date: str = "2025-07-01") -> Path:
    path = tmp_path / f"{code}.yaml"
    path.write_text(HEAD.format(code=code, date=date) + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "line", "field", "words"),
    [
        (
            "merges:\n  - into: si-lo-lau\n    from: [vang-ma-chai, xa-khong-co]\n",
            8,
            "merges[0].from",
            "unknown unit “xa-khong-co”",
        ),
        (
            "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n"
            "  - {into: nam-xe, from: [vang-ma-chai]}\n",
            8,
            "merges[1].from",
            "merged twice on 01/07/2025 (lines 7 and 8)",
        ),
        (
            "merges:\n  - {into: si-lo-lau, from: [nam-xe]}\n"
            "  - {into: nam-xe, from: [si-lo-lau]}\n",
            7,
            "merges[0].from",
            "cycle: nam-xe → si-lo-lau → nam-xe",
        ),
        (
            "merges:\n  - {into: si-lo-lau.hlhpn, from: [nam-xe]}\n",
            7,
            "merges[0].from",
            "cannot be succeeded",
        ),
        (
            "units:\n  - {code: xa-x, name: X, kind: commune, parent: phong-tho}\n"
            "merges:\n  - {into: lai-chau, from: [phong-tho]}\n",
            7,
            "units.parent",
            "the parent “phong-tho” does not exist after the reorganisation",
        ),
        (
            "splits:\n"
            "  - {from: ban-lang, into: [ban-lang-a, ban-lang-b], successor: ban-lang-c}\n",
            7,
            "splits[0].successor",
            "must be one of the parts",
        ),
        (
            "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n"
            "issuers:\n  - {unit: vang-ma-chai, name: X, place: Y, signer_capacity: [A]}\n",
            9,
            "issuers.unit",
            "“vang-ma-chai” does not exist after the reorganisation: it issues nothing",
        ),
        (
            "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n"
            "issuers:\n  - {unit: si-lo-lau.ubnd, name: X, place: Y, signer_capacity: [A]}\n",
            9,
            "issuers.unit",
            "is not a commune, district or province",
        ),
        (
            "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n"
            "issuers:\n  - {unit: si-lo-lau, name: X, signer_capacity: [A]}\n",
            9,
            "issuers[0].place",
            "this field is required",
        ),
    ],
)
def test_a_bad_file_is_refused_with_line_and_field_and_writes_nothing(
    plan: Plan, tmp_path: Path, body: str, line: int, field: str, words: str
) -> None:
    before = _counts()
    with pytest.raises(ReorganisationFileError) as caught:
        _apply(_file(tmp_path, body))
    assert (caught.value.line, caught.value.field) == (line, field)
    assert words in caught.value.message
    assert _counts() == before


def test_the_illustrative_flag_is_required(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "flag.yaml"
    path.write_text(
        "reorganisation:\n  code: x\n  title: T\n  effective_on: '2025-07-01'\n"
        "merges:\n  - {into: si-lo-lau, from: [nam-xe]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReorganisationFileError) as caught:
        _apply(path)
    assert caught.value.field == "reorganisation.illustrative"


def test_a_unit_merged_again_on_the_same_date_by_another_file_is_refused(
    plan: Plan, tmp_path: Path
) -> None:
    _apply(_file(tmp_path, "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n", code="one"))
    before = _counts()
    with pytest.raises(ReorganisationFileError) as caught:
        _apply(_file(tmp_path, "merges:\n  - {into: nam-xe, from: [vang-ma-chai]}\n", code="two"))
    assert "merged twice on 01/07/2025 (already by one)" in caught.value.message
    assert (caught.value.line, caught.value.field) == (7, "merges[0].from")
    assert _counts() == before


def test_an_effective_date_before_work_that_already_moved_is_refused(
    plan: Plan, tmp_path: Path
) -> None:
    draft = estimate_in_status(S.DRAFT)
    _apply(_file(tmp_path, "merges:\n  - {into: nam-xe, from: [si-lo-lau]}\n", code="july"))
    assert Estimate.objects.get(pk=draft.pk).unit.code == "nam-xe"
    before = _counts()
    earlier = _file(
        tmp_path,
        "merges:\n  - {into: ban-lang, from: [si-lo-lau]}\n",
        code="march",
        date="2025-03-01",
    )
    with pytest.raises(ReorganisationFileError) as caught:
        _apply(earlier)
    assert caught.value.field == "reorganisation.effective_on"
    assert caught.value.line == 7
    assert "before 01/07/2025, when the work of “si-lo-lau” already moved (july)" in str(
        caught.value
    )
    assert _counts() == before
    # moving work into a unit that a later reorganisation abolished is refused the same way
    into_old = _file(
        tmp_path,
        "merges:\n  - {into: si-lo-lau, from: [ban-lang]}\n",
        code="april",
        date="2025-04-01",
    )
    with pytest.raises(ReorganisationFileError, match="already moved"):
        _apply(into_old)


def test_a_changed_file_under_a_code_already_applied_is_refused(plan: Plan, tmp_path: Path) -> None:
    _apply(_file(tmp_path, "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n", code="once"))
    changed = _file(tmp_path, "merges:\n  - {into: si-lo-lau, from: [mo-si-san]}\n", code="once")
    with pytest.raises(ReorganisationFileError) as caught:
        _apply(changed)
    assert caught.value.field == "reorganisation.code"


def test_the_command_names_the_line_and_field_of_a_refusal(plan: Plan, tmp_path: Path) -> None:
    path = _file(tmp_path, "merges:\n  - {into: si-lo-lau, from: [khong-co]}\n")
    with pytest.raises(CommandError) as caught:
        call_command("apply_reorganisation", str(path), stdout=StringIO())
    assert "line 7" in str(caught.value) and "merges[0].from" in str(caught.value)
    assert "nothing was written" in str(caught.value)


def test_a_split_moves_the_work_to_the_named_successor(plan: Plan, tmp_path: Path) -> None:
    review = estimate_in_status(S.REVIEW, unit_code="nam-xe")
    path = _file(
        tmp_path,
        "units:\n"
        "  - {code: nam-xe-a, name: Nậm Xe A, kind: commune, parent: phong-tho}\n"
        "  - {code: nam-xe-b, name: Nậm Xe B, kind: commune, parent: phong-tho}\n"
        "splits:\n"
        "  - {from: nam-xe, into: [nam-xe-a, nam-xe-b], successor: nam-xe-a}\n",
    )
    _apply(path)
    assert Estimate.objects.get(pk=review.pk).unit.code == "nam-xe-a"
    assert Unit.objects.get(code="nam-xe").successor.code == "nam-xe-a"
    assert Unit.objects.get(code="nam-xe-b").established_on == dt.date(2025, 7, 1)
    services.estimate_forward(actor=demo_user("hoi.huyen"), estimate_id=review.pk)


def test_the_consolidated_report_rolls_up_to_the_successors_and_shows_a_period_before_as_it_was(
    world: dict[str, Any],
) -> None:
    made = world["estimates"]

    def report(**kw: Any) -> tuple[dict[str, Any], dict[str, int]]:
        # read as a page reads it: the plan with its area, per request
        plan = Plan.objects.select_related("area").get(pk=world["plan"].pk)
        auditor = demo_user("kiemtoan")  # views every unit, before and after
        result = consolidated_report(auditor, ReportQuery(plan=plan, **kw))
        groups = {g.code: g for g in result.groups}
        totals = {
            t.level + "." + t.source: t.figures.committed + t.figures.reserved
            for t in result.level_totals
        }
        return groups, totals

    _groups_before, totals_before = report()
    _apply()
    today, totals_today = report()
    assert totals_today == totals_before
    assert "si-lo-lau" not in today and "lai-chau" in today and "phong-tho" not in today
    closed = EstimateAccount.objects.get(estimate=made[S.CLOSED], source="current")
    approved = EstimateAccount.objects.get(estimate=made[S.APPROVED], source="current")
    successor_current = next(t for t in today["xa-si-lo-lau"].sources if t.source == "current")
    # the closed estimate (still under Sì Lở Lầu) rolls up to the successor with the moved
    assert successor_current.figures.disbursed == closed.disbursed + approved.disbursed
    assert successor_current.figures.allocated == 250_000_000
    then, totals_then = report(start_to=dt.date(2025, 6, 30))
    assert totals_then == totals_before
    assert "xa-si-lo-lau" not in then and "phong-tho" in then
    old_current = next(t for t in then["si-lo-lau"].sources if t.source == "current")
    assert old_current.figures.disbursed == closed.disbursed + approved.disbursed
    assert old_current.figures.allocated == 200_000_000


def test_a_delegation_in_force_goes_on_in_the_successor(plan: Plan) -> None:
    delegator = demo_user("hoi.silolau")
    colleague = member_make("dong.nghiep", "si-lo-lau.hlhpn", "commune_wu_officer")
    today = dt.date.today()
    delegation_create(
        delegator=delegator,
        delegate=colleague,
        membership=Membership.objects.get(user=delegator),
        starts_on=today,
        ends_on=today + dt.timedelta(days=10),
        reason="Nghỉ phép",
        actor=delegator,
    )
    _apply()
    successor = Unit.objects.get(code="xa-si-lo-lau")
    assert acting_for_options(colleague, DRAFT, successor, today) == [delegator]


def test_the_plan_file_loads_again_after_a_reorganisation(plan: Plan) -> None:
    """``make setup`` reloads the plan: the merged communes' villages stay with their
    successor, and nothing is made again."""
    _apply()
    villages = Unit.objects.filter(kind="village").count()
    result = plan_load_file(settings.DEFAULT_PLAN_FILE)
    assert result.created == 0
    assert Unit.objects.filter(kind="village").count() == villages
    assert Unit.objects.get(code="si-lo-lau.ban-01").parent.code == "xa-si-lo-lau"


def test_the_moved_estimates_page_shows_the_move_in_its_history(plan: Plan) -> None:
    review = estimate_in_status(S.REVIEW)
    _apply()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(demo_user("hoi.huyen"))
    page = client.get(reverse("estimates:detail", args=[review.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "moved to the successor unit" in text and "Xã Sì Lở Lầu (mới, minh họa)" in text
    # the officer who moved with the work finds it; nobody acts through the old commune
    client.force_login(demo_user("hoi.silolau"))
    assert client.get(reverse("estimates:detail", args=[review.pk])).status_code == 200


def test_the_successors_decisions_are_issued_by_the_body_the_file_names(
    world: dict[str, Any],
) -> None:
    """The file names who issues the successors' decisions: an estimate moved to the
    successor and approved after the effective date gets a decision of that body, numbered
    in its own register for the year. Plan 117 has the district approve, so after the
    district ends its successor, the province, issues, for the moved district estimate and
    the moved commune estimate alike; the district's register is left as it was."""
    phong_tho = DecisionIssuer.objects.get(unit__code="phong-tho")
    registers_before = list(
        DecisionRegister.objects.filter(issuer=phong_tho).values_list("year", "last_number")
    )
    _apply()
    assert DecisionIssuer.objects.get(unit__code="xa-si-lo-lau").name == (
        "ỦY BAN NHÂN DÂN XÃ SÌ LỞ LẦU (MINH HỌA)"
    )
    province = DecisionIssuer.objects.get(unit__code="lai-chau")
    moved = [world["district"], world["estimates"][S.APPROVAL]]
    with time_machine.travel(dt.datetime(2025, 7, 15, 9, 0, tzinfo=LOCAL_ZONE), tick=False):
        for estimate in moved:
            services.estimate_approve(actor=demo_user("pho.chutich"), estimate_id=estimate.pk)
    decisions = [Decision.objects.get(estimate_id=e.pk) for e in moved]
    assert [d.issuer for d in decisions] == [province, province]
    assert [(d.year, d.number, d.symbol) for d in decisions] == [
        (2025, 1, "1/QĐ-UBND"),
        (2025, 2, "2/QĐ-UBND"),
    ]
    assert decisions[1].snapshot["issuer"]["name"] == "ỦY BAN NHÂN DÂN TỈNH LAI CHÂU"
    assert decisions[1].snapshot["estimate"]["unit"] == "Xã Sì Lở Lầu (mới, minh họa)"
    assert DecisionRegister.objects.get(issuer=province, year=2025).last_number == 2
    assert (
        list(DecisionRegister.objects.filter(issuer=phong_tho).values_list("year", "last_number"))
        == registers_before
    )
