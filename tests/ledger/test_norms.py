"""Cost norms: the shipped safe-childbirth norms, the overlap rule, and line checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import RuleViolation
from core.text import field_limit
from estimates.models import EstimateLine, Norm, Plan
from ledger.models import NormOverride
from ledger.norms import norm_appraisal_check, norm_check_line, norm_create, norm_update
from tests.factories import APPRAISER, demo_user, estimate_in_status, line_input
from tests.texts import composed, decomposed

ON = dt.date(2024, 6, 1)


@pytest.fixture
def norms(db: None) -> dict[str, Norm]:
    call_command("load_norms")
    return {n.code: n for n in Norm.objects.all()}


def per_birth(norms: dict[str, Norm], meals: str) -> int:
    """The most one birth may receive: each norm's price × its maximum quantity × days."""
    parts = ["safe-birth-travel", "safe-birth-kit", meals, "safe-birth-nutrition"]
    return sum(
        norms[c].max_unit_price * (norms[c].max_quantity or 1) * (norms[c].max_times or 1)
        for c in parts
    )


def test_safe_childbirth_adds_up_per_birth(norms: dict[str, Norm]) -> None:
    assert per_birth(norms, "safe-birth-meals-normal") == 2_200_000
    assert per_birth(norms, "safe-birth-meals-caesarean") == 2_400_000
    assert {n.citation for n in norms.values()} == {"Thông tư 15/2022/TT-BTC, Điều 38"}


def test_loading_norms_twice_changes_nothing(norms: dict[str, Norm], capsys: Any) -> None:
    capsys.readouterr()
    call_command("load_norms")
    assert "0 created, 0 updated, 5 unchanged" in capsys.readouterr().out
    assert Norm.objects.count() == 5


def test_bad_norm_file_writes_nothing(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "norms.yaml"
    bad.write_text(
        "norms:\n"
        "  - {code: a, item: A, unit: u, max_unit_price: 1, valid_from: 2024-01-01, citation: c}\n"
        "  - {code: b, item: B, unit: v, max_unit_price: -1,"
        " valid_from: 2024-01-01, citation: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_norms", str(bad))
    assert not Norm.objects.exists()


def norm_args(**kw: Any) -> dict[str, Any]:
    return {
        "code": "meals",
        "item": "Tiền ăn",
        "unit": "người/ngày",
        "max_unit_price": 50_000,
        "valid_from": dt.date(2024, 1, 1),
        "valid_to": dt.date(2024, 12, 31),
        "citation": "NQ HĐND tỉnh",
    } | kw


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (dt.date(2024, 12, 31), None),  # open-ended, starting on the last day
        (dt.date(2023, 1, 1), dt.date(2024, 1, 1)),  # ending on the first day
        (dt.date(2024, 3, 1), dt.date(2024, 3, 31)),  # inside
        (dt.date(2023, 1, 1), None),  # around
    ],
)
def test_overlapping_validity_is_refused(
    db: None, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    norm_create(**norm_args())
    with pytest.raises(RuleViolation, match="cannot overlap"):
        norm_create(**norm_args(valid_from=valid_from, valid_to=valid_to, max_unit_price=60_000))
    assert Norm.objects.count() == 1


def test_successive_norms_and_other_codes_are_allowed(db: None) -> None:
    first = norm_create(**norm_args())
    norm_create(**norm_args(valid_from=dt.date(2025, 1, 1), valid_to=None))
    norm_create(**norm_args(code="travel"))
    assert Norm.objects.count() == 3
    with pytest.raises(RuleViolation, match="cannot overlap"):
        norm_update(norm=first, valid_to=dt.date(2025, 1, 1))
    first.refresh_from_db()
    assert first.valid_to == dt.date(2024, 12, 31)
    norm_update(norm=first, max_unit_price=55_000)
    first.refresh_from_db()
    assert first.max_unit_price == 55_000


@pytest.mark.parametrize(
    "bad",
    [
        {"max_unit_price": 0},
        {"max_unit_price": 1.5},
        {"max_quantity": 0},
        {"valid_to": dt.date(2023, 1, 1)},
        {"citation": " "},
        {"code": "Not A Slug"},
    ],
)
def test_bad_norm_is_refused(db: None, bad: dict[str, Any]) -> None:
    with pytest.raises(RuleViolation):
        norm_create(**norm_args(**bad))
    assert not Norm.objects.exists()


@pytest.mark.parametrize("name", ["code", "item", "unit", "citation"])
def test_a_norm_text_is_held_to_its_model_field(db: None, name: str) -> None:
    limit = field_limit(Norm, name)
    # a code is a slug: plain letters; the other texts are Vietnamese typed decomposed
    over, at = (
        ("a" * (limit + 1), "a" * limit)
        if name == "code"
        else (
            decomposed(limit + 1),
            decomposed(limit),
        )
    )
    with pytest.raises(RuleViolation, match=f"At most {limit}") as refused:
        norm_create(**norm_args(**{name: over}))
    assert refused.value.field == name
    assert not Norm.objects.exists()
    norm = norm_create(**norm_args(**{name: at}))
    norm.refresh_from_db()
    assert getattr(norm, name) == (at if name == "code" else composed(limit))


def line_on(norm: Norm, **kw: Any) -> EstimateLine:
    """The one line, on ``norm``, of a draft drafted through the services."""
    args = {"quantity": 2, "unit_price": norm.max_unit_price, "times": 1} | kw
    estimate = estimate_in_status(lines=[line_input(norm_id=norm.pk, **args)])
    return estimate.lines.select_related("norm").get()


def test_line_within_norm_has_no_finding(plan: Plan, norms: dict[str, Norm]) -> None:
    line = line_on(norms["safe-birth-meals-normal"], times=3)
    assert norm_check_line(line, ON) == []


def test_line_above_norm_gives_findings_with_the_citation(
    plan: Plan, norms: dict[str, Norm]
) -> None:
    norm = norms["safe-birth-meals-normal"]
    line = line_on(norm, unit_price=60_000, quantity=3, times=5)
    findings = norm_check_line(line, ON)
    assert [f.kind for f in findings] == ["unit_price", "quantity", "times"]
    for finding in findings:
        assert finding.citation == "Thông tư 15/2022/TT-BTC, Điều 38"
        assert "Thông tư 15/2022/TT-BTC, Điều 38" in finding.message
    assert "60.000 ₫" in findings[0].message and "50.000 ₫" in findings[0].message


def test_norm_not_in_force_is_a_finding(plan: Plan, norms: dict[str, Norm]) -> None:
    line = line_on(norms["safe-birth-kit"], quantity=1)
    (finding,) = norm_check_line(line, dt.date(2021, 1, 1))
    assert finding.kind == "validity"


def test_appraised_cut_to_the_norm_passes(plan: Plan, norms: dict[str, Norm]) -> None:
    line = line_on(norms["safe-birth-travel"], unit_price=150_000)
    assert norm_check_line(line, ON)
    line.appraised_amount = 200_000
    assert norm_check_line(line, ON) == []


def test_appraisal_blocks_unless_a_reason_is_given(plan: Plan, norms: dict[str, Norm]) -> None:
    actor = demo_user(APPRAISER)
    kit, travel = norms["safe-birth-kit"], norms["safe-birth-travel"]
    estimate = estimate_in_status(
        lines=[
            line_input(norm_id=kit.pk, quantity=1, unit_price=kit.max_unit_price),
            line_input(norm_id=travel.pk, quantity=2, unit_price=150_000),
        ]
    )
    fine, above = estimate.lines.order_by("position")
    with pytest.raises(RuleViolation, match="Line 2"):
        norm_appraisal_check(estimate=estimate, actor=actor, on_date=ON)
    with pytest.raises(RuleViolation):
        norm_appraisal_check(estimate=estimate, actor=actor, on_date=ON, overrides={above.pk: " "})
    assert not NormOverride.objects.exists()
    kept = norm_appraisal_check(
        estimate=estimate,
        actor=actor,
        on_date=ON,
        overrides={above.pk: "Đường xa, giá xe thực tế", fine.pk: "unused"},
    )
    assert [(o.line_id, o.reason) for o in kept] == [(above.pk, "Đường xa, giá xe thực tế")]
    assert "Thông tư 15/2022/TT-BTC" in NormOverride.objects.get().findings


def test_an_override_reason_is_held_to_its_model_field(
    plan: Plan, norms: dict[str, Norm], django_user_model: Any
) -> None:
    limit = field_limit(NormOverride, "reason")
    actor = django_user_model.objects.create_user("tckh-norms")
    above = line_on(norms["safe-birth-travel"], unit_price=150_000)
    estimate = above.estimate
    with pytest.raises(RuleViolation, match=f"At most {limit}") as refused:
        norm_appraisal_check(
            estimate=estimate, actor=actor, on_date=ON, overrides={above.pk: "x" * (limit + 1)}
        )
    assert refused.value.field == "norm_override_reason"
    assert not NormOverride.objects.exists()
    with pytest.raises(RuleViolation, match="U\\+200F"):
        norm_appraisal_check(
            estimate=estimate, actor=actor, on_date=ON, overrides={above.pk: "Đường\u200f xa"}
        )
    kept = norm_appraisal_check(
        estimate=estimate, actor=actor, on_date=ON, overrides={above.pk: decomposed(limit)}
    )
    assert [o.reason for o in kept] == [composed(limit)]


@pytest.mark.parametrize(
    ("meals", "total"),
    [("safe-birth-meals-normal", 2_200_000), ("safe-birth-meals-caesarean", 2_400_000)],
)
def test_one_birth_at_the_norms_costs_the_lump_sum(
    plan: Plan, norms: dict[str, Norm], meals: str, total: int
) -> None:
    parts = [
        norms[c] for c in ("safe-birth-travel", "safe-birth-kit", meals, "safe-birth-nutrition")
    ]
    estimate = estimate_in_status(
        lines=[
            line_input(
                norm_id=norm.pk,
                unit_price=norm.max_unit_price,
                quantity=norm.max_quantity or 1,
                times=norm.max_times or 1,
            )
            for norm in parts
        ]
    )
    lines = list(estimate.lines.select_related("norm").order_by("position"))
    assert [line.norm for line in lines] == parts
    for line in lines:
        assert norm_check_line(line, ON) == []
    assert sum(estimate.lines.values_list("amount", flat=True)) == total
