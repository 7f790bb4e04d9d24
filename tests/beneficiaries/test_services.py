"""The register: eligibility (each rule refusing and passing), the norm per payment
component, one payment per birth within and across communes, the estimate's lines
following the list, the audit entry and the logs without personal data."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from approvals import services
from approvals.models import AuditEntry
from approvals.services import LineInput
from beneficiaries.models import Beneficiary, Ethnicity, GroupCount, PriorityGroup
from beneficiaries.services import (
    PaymentInput,
    beneficiary_register,
    beneficiary_remove,
    eligibility,
    estimate_groups_set,
)
from core.errors import Conflict, Forbidden, RuleViolation
from estimates.models import Estimate, Norm, Plan
from organization.models import Unit
from tests.beneficiaries.conftest import (
    ID_A,
    ID_B,
    full_payments,
    mother,
    safe_birth_draft,
    village,
)
from tests.factories import club_input, estimate_in_status

pytestmark = pytest.mark.django_db


def lines_of(estimate: Estimate) -> list[tuple[str, int, int, int, int]]:
    """(the norm's code read from the description, quantity, unit price, days, amount)."""
    codes = {n.item: n.code for n in Norm.objects.all()}
    out = []
    for line in estimate.lines.order_by("position"):
        item, _sep, cited = line.description.rpartition(" (")
        assert cited == "Thông tư 15/2022/TT-BTC, Điều 38)"
        out.append((codes[item], line.quantity, line.unit_price, line.times, line.amount))
    return out


def refused(actor: Any, estimate: Estimate, data: Any) -> RuleViolation:
    before = (Beneficiary.objects.count(), AuditEntry.objects.count())
    with pytest.raises(RuleViolation) as caught:
        beneficiary_register(actor=actor, estimate_id=estimate.pk, data=data)
    assert (Beneficiary.objects.count(), AuditEntry.objects.count()) == before
    estimate.refresh_from_db()
    return caught.value


def test_a_normal_birth_pays_the_norms_and_the_estimate_takes_its_lines(
    draft: Estimate, users: dict[str, Any]
) -> None:
    b = beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    assert b.total_amount == 2_200_000
    draft.refresh_from_db()
    assert draft.total_amount == 2_200_000
    assert draft.participants_women == 1
    assert lines_of(draft) == [
        ("safe-birth-travel", 2, 100_000, 1, 200_000),
        ("safe-birth-kit", 1, 500_000, 1, 500_000),
        ("safe-birth-meals-normal", 2, 50_000, 3, 300_000),
        ("safe-birth-nutrition", 1, 1_200_000, 1, 1_200_000),
    ]


def test_lines_follow_the_list_as_mothers_are_added_and_removed(
    draft: Estimate, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    first = beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    beneficiary_register(
        actor=officer,
        estimate_id=draft.pk,
        data=mother(
            full_name="Mẹ mẫu số 2",
            national_id=ID_B,
            date_of_birth=dt.date(1995, 1, 2),
            delivery="caesarean",
            payments=full_payments("caesarean"),
            village_id=village("si-lo-lau", 1).pk,
        ),
    )
    draft.refresh_from_db()
    assert draft.total_amount == 2_200_000 + 2_400_000
    assert sum(amount for *_x, amount in lines_of(draft)) == draft.total_amount
    # Travel, kit and nutrition are one line each (quantities added); meals differ in days.
    assert ("safe-birth-travel", 4, 100_000, 1, 400_000) in lines_of(draft)
    assert ("safe-birth-meals-caesarean", 2, 50_000, 5, 500_000) in lines_of(draft)
    beneficiary_remove(actor=officer, beneficiary_id=first.pk)
    draft.refresh_from_db()
    assert draft.total_amount == 2_400_000
    assert draft.participants_women == 1
    assert sum(amount for *_x, amount in lines_of(draft)) == 2_400_000


def test_the_lines_cannot_be_edited_by_hand(draft: Estimate, users: dict[str, Any]) -> None:
    officer = users["hoi.silolau"]
    beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    draft.refresh_from_db()
    current = [
        LineInput(
            line.description,
            line.unit_of_measure,
            line.quantity,
            line.unit_price,
            line.times,
            line.source,
            line.norm_id,
            line.pk,
        )
        for line in draft.lines.order_by("position")
    ]
    data = services.EstimateInput(
        activity_id=draft.activity_id,
        title="Đổi tên",
        start_date=draft.start_date,
        end_date=draft.end_date,
        participants_women=1,  # the list's count
        lines=current,
    )
    services.estimate_update(actor=officer, estimate_id=draft.pk, data=data)  # unchanged: fine
    raised = [replace(current[0], quantity=3), *current[1:]]
    with pytest.raises(RuleViolation) as caught:
        services.estimate_update(
            actor=officer, estimate_id=draft.pk, data=replace(data, lines=raised)
        )
    assert caught.value.field == "lines"
    draft.refresh_from_db()
    assert draft.total_amount == 2_200_000


def test_a_new_safe_birth_estimate_takes_no_typed_lines(
    register_data: None, plan: Plan, users: dict[str, Any]
) -> None:
    est = safe_birth_draft(plan, users["hoi.silolau"], "si-lo-lau")
    assert est.total_amount == 0
    data = services.EstimateInput(
        activity_id=est.activity_id,
        title="x",
        start_date=est.start_date,
        end_date=est.end_date,
        lines=[LineInput("Đi lại", "người", 2, 100_000)],
    )
    with pytest.raises(RuleViolation):
        services.estimate_create(actor=users["hoi.silolau"], plan=plan, unit=est.unit, data=data)


def test_the_list_is_frozen_once_submitted_and_other_communes_cannot_touch_it(
    draft: Estimate, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    with pytest.raises(Exception) as caught:
        beneficiary_register(
            actor=users["hoi.namxe"], estimate_id=draft.pk, data=mother(national_id=ID_B)
        )
    assert caught.type.__name__ == "Http404"
    services.estimate_submit(actor=officer, estimate_id=draft.pk)
    with pytest.raises(Conflict):
        beneficiary_register(
            actor=officer,
            estimate_id=draft.pk,
            data=mother(national_id=ID_B, date_of_birth=dt.date(1995, 3, 3), full_name="Khác"),
        )


# --- eligibility: each rule refusing and passing ----------------------------------------


def test_each_rule_passes_for_an_eligible_mother(draft: Estimate) -> None:
    results = eligibility(
        estimate=draft,
        register=draft.activity.register,
        village=village("si-lo-lau"),
        ethnicity=Ethnicity.objects.get(code="mong"),
        groups=[],
        date_of_birth=dt.date(1990, 5, 4),
        birth_date=dt.date(2024, 6, 10),
        place="hospital",
    )
    assert [(r.code, r.passed) for r in results] == [
        ("village", True),
        ("group", True),
        ("age", True),
        ("facility", True),
        ("period", True),
    ]
    assert all(r.message for r in results)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"village_id": "nam-xe"}, "village"),  # a village of another commune
        ({"village_id": "commune"}, "village"),  # not a village
        ({"ethnicity_id": "kinh"}, "ethnicity"),
        ({"date_of_birth": dt.date(2007, 1, 1), "national_id": "012307000101"}, "date_of_birth"),
        ({"place": "home", "facility": ""}, "place"),
        ({"place": "elsewhere"}, "place"),
        ({"birth_date": dt.date(2023, 12, 31)}, "birth_date"),
        ({"birth_date": dt.date(2025, 1, 1)}, "birth_date"),
    ],
)
def test_each_rule_refuses_with_its_field(
    draft: Estimate, users: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    if overrides.get("village_id") == "nam-xe":
        overrides["village_id"] = village("nam-xe").pk
    elif overrides.get("village_id") == "commune":
        overrides["village_id"] = Unit.objects.get(code="si-lo-lau").pk
    if overrides.get("ethnicity_id") == "kinh":
        overrides["ethnicity_id"] = Ethnicity.objects.get(code="kinh").pk
    error = refused(users["hoi.silolau"], draft, mother(**overrides))
    assert error.field == field


def test_a_group_the_plan_makes_eligible_admits_a_non_minority_mother(
    draft: Estimate, users: dict[str, Any]
) -> None:
    kinh = Ethnicity.objects.get(code="kinh").pk
    group = PriorityGroup.objects.get(code="ho-ngheo-can-ngheo")
    assert refused(users["hoi.silolau"], draft, mother(ethnicity_id=kinh, group_ids=[group.pk]))
    group.safe_birth_eligible = True
    group.save()
    b = beneficiary_register(
        actor=users["hoi.silolau"],
        estimate_id=draft.pk,
        data=mother(ethnicity_id=kinh, group_ids=[group.pk]),
    )
    assert list(b.groups.all()) == [group]


# --- shapes and norms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "01219000010",
        "0121900001011",
        "01219000010a",
        "000190000101",
        "012090000101",
        "012191000101",
    ],
)
def test_a_national_id_of_the_wrong_shape_is_refused(
    draft: Estimate, users: dict[str, Any], number: str
) -> None:
    error = refused(users["hoi.silolau"], draft, mother(national_id=number))
    assert error.field == "national_id"
    assert number not in error.message


P = PaymentInput


@pytest.mark.parametrize(
    ("component", "payment", "field"),
    [
        ("travel", P(quantity=2, unit_price=100_001), "payments.travel.unit_price"),
        ("travel", P(quantity=3, unit_price=100_000), "payments.travel.quantity"),
        ("kit", P(quantity=2, unit_price=500_000), "payments.kit.quantity"),
        ("meals", P(quantity=2, unit_price=50_000, times=4), "payments.meals.times"),
        (
            "meals",
            PaymentInput(quantity=2, unit_price=60_000, times=3),
            "payments.meals.unit_price",
        ),
        (
            "nutrition",
            PaymentInput(quantity=1, unit_price=1_500_000),
            "payments.nutrition.unit_price",
        ),
        (
            "nutrition",
            PaymentInput(quantity=0, unit_price=1_200_000),
            "payments.nutrition.quantity",
        ),
    ],
)
def test_each_component_is_held_to_its_norm_with_the_citation(
    draft: Estimate, users: dict[str, Any], component: str, payment: PaymentInput, field: str
) -> None:
    payments = full_payments() | {component: payment}
    error = refused(users["hoi.silolau"], draft, mother(payments=payments))
    assert error.field == field
    if payment.quantity:
        assert "15/2022/TT-BTC" in error.message


def test_a_caesarean_allows_five_days_of_meals(draft: Estimate, users: dict[str, Any]) -> None:
    b = beneficiary_register(
        actor=users["hoi.silolau"],
        estimate_id=draft.pk,
        data=mother(delivery="caesarean", payments=full_payments("caesarean")),
    )
    meals = b.payments.get(component="meals")
    assert (meals.times, meals.norm.code) == (5, "safe-birth-meals-caesarean")


def test_a_norm_not_in_force_on_the_birth_date_refuses(
    draft: Estimate, users: dict[str, Any]
) -> None:
    from estimates.models import Norm

    Norm.objects.filter(code="safe-birth-kit").update(valid_to=dt.date(2024, 1, 31))
    error = refused(users["hoi.silolau"], draft, mother())
    assert error.field == "payments.kit"


# --- one payment per birth ------------------------------------------------------------


def test_a_second_payment_for_the_same_birth_is_refused_in_the_commune(
    draft: Estimate, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    # Same ID, a birth date typed a few days apart.
    error = refused(officer, draft, mother(birth_date=dt.date(2024, 6, 12), full_name="Khác"))
    assert error.field == "national_id"
    assert "this commune" in error.message
    # Same mother (name typed without accents, same date of birth), another ID number.
    error = refused(
        officer,
        draft,
        mother(full_name="me mau so 1", national_id="012190000999"),
    )
    assert "Mẹ mẫu" not in error.message and ID_A not in error.message


def test_a_second_payment_for_the_same_birth_is_refused_across_communes(
    draft: Estimate, plan: Plan, users: dict[str, Any]
) -> None:
    beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    other = safe_birth_draft(plan, users["hoi.namxe"], "nam-xe")
    error = refused(users["hoi.namxe"], other, mother("nam-xe"))
    assert error.field == "national_id"
    assert "another commune" in error.message
    assert ID_A not in error.message and "Mẹ mẫu số 1" not in error.message


def test_the_database_holds_one_payment_per_birth(draft: Estimate, users: dict[str, Any]) -> None:
    b = beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    copy = Beneficiary.objects.get(pk=b.pk)
    copy.pk = None
    copy.full_name = copy.name_key = "khac"
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    copy.pk = None
    copy.national_id = ID_B
    copy.name_key = b.name_key
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


# --- audit and logs -----------------------------------------------------------------


def test_the_audit_entry_names_the_record_not_the_person(
    draft: Estimate, users: dict[str, Any]
) -> None:
    b = beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    entry = AuditEntry.objects.filter(estimate=draft).order_by("-seq").first()
    assert entry is not None
    assert entry.action == "estimate.edited"
    assert entry.data["beneficiary"] == b.pk
    assert entry.data["register"] == "beneficiary.registered"
    blob = repr(entry.__dict__)
    assert ID_A not in blob and "Mẹ mẫu" not in blob and "1990-05-04" not in blob


def test_no_personal_data_in_the_logs(
    draft: Estimate, users: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    officer = users["hoi.silolau"]
    beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    with pytest.raises(RuleViolation):
        beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    with pytest.raises(RuleViolation):
        beneficiary_register(
            actor=officer, estimate_id=draft.pk, data=mother(national_id="01219000010x")
        )
    text = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name != "django.db.backends"
    )
    assert ID_A not in text and "Mẹ mẫu" not in text


# --- priority groups ----------------------------------------------------------------


def test_a_register_estimate_counts_its_mothers_per_group(
    draft: Estimate, users: dict[str, Any]
) -> None:
    poor = PriorityGroup.objects.get(code="ho-ngheo-can-ngheo")
    beneficiary_register(
        actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother(group_ids=[poor.pk])
    )
    counts = dict(GroupCount.objects.filter(estimate=draft).values_list("group__code", "count"))
    assert counts == {"dtts": 1, "ho-ngheo-can-ngheo": 1}
    with pytest.raises(RuleViolation):
        estimate_groups_set(actor=users["hoi.silolau"], estimate_id=draft.pk, counts={poor.pk: 5})


def test_an_estimate_counts_participants_per_group(
    register_data: None, plan: Plan, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    est = services.estimate_create(
        actor=officer, plan=plan, unit=Unit.objects.get(code="si-lo-lau"), data=club_input(plan)
    )
    groups = {g.code: g.pk for g in PriorityGroup.objects.all()}
    estimate_groups_set(
        actor=officer, estimate_id=est.pk, counts={groups["dtts"]: 25, groups["khuyet-tat"]: 2}
    )
    counts = dict(GroupCount.objects.filter(estimate=est).values_list("group__code", "count"))
    assert counts == {"dtts": 25, "khuyet-tat": 2}
    for bad in (-1, "x", 1_000_001, True):
        with pytest.raises(RuleViolation) as caught:
            estimate_groups_set(actor=officer, estimate_id=est.pk, counts={groups["dtts"]: bad})
        assert caught.value.field == f"groups.{groups['dtts']}"
    with pytest.raises(RuleViolation):
        estimate_groups_set(actor=officer, estimate_id=est.pk, counts={999_999: 1})
    assert GroupCount.objects.filter(estimate=est).count() == 2
    with pytest.raises(Forbidden):
        estimate_groups_set(actor=users["tckh"], estimate_id=est.pk, counts={groups["dtts"]: 1})


def test_estimate_in_status_helpers_still_work(plan: Plan, users: dict[str, Any]) -> None:
    # The drafting hook leaves estimates of other activities alone.
    est = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    assert est.lines.exists()


def test_a_list_of_several_mothers_passes_appraisal(draft: Estimate, users: dict[str, Any]) -> None:
    """The norms were checked per mother; the summed lines do not trip the per-line check."""
    officer = users["hoi.silolau"]
    for n, number in enumerate((ID_A, ID_B, "012198000303")):
        beneficiary_register(
            actor=officer,
            estimate_id=draft.pk,
            data=mother(
                full_name=f"Mẹ mẫu {n}",
                national_id=number,
                date_of_birth=dt.date(int("19" + number[4:6]), 5, 4),
            ),
        )
    services.estimate_submit(actor=officer, estimate_id=draft.pk)
    services.estimate_forward(actor=users["hoi.huyen"], estimate_id=draft.pk)
    services.estimate_appraise(actor=users["tckh"], estimate_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == "approval"
    assert draft.appraised_amount == 3 * 2_200_000


def test_no_personal_data_in_notifications_or_mail(
    draft: Estimate, users: dict[str, Any], mailoutbox: list[Any]
) -> None:
    from notifications.models import Notification, OutboxEvent

    officer = users["hoi.silolau"]
    beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    services.estimate_submit(actor=officer, estimate_id=draft.pk)  # tells the reviewers
    events = list(OutboxEvent.objects.filter(estimate=draft).values())
    assert events  # the submission was recorded for the reviewers
    blob = (
        repr(events)
        + repr(list(Notification.objects.values()))
        + repr([(m.subject, m.body) for m in mailoutbox])
    )
    assert ID_A not in blob and "Mẹ mẫu" not in blob


def test_correcting_a_record_rechecks_it_and_the_lines_follow(
    draft: Estimate, users: dict[str, Any]
) -> None:
    from beneficiaries.services import beneficiary_update

    officer = users["hoi.silolau"]
    b = beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    other = beneficiary_register(
        actor=officer,
        estimate_id=draft.pk,
        data=mother(full_name="Mẹ mẫu số 2", national_id=ID_B, date_of_birth=dt.date(1995, 1, 2)),
    )
    # Itself is no duplicate: a caesarean corrected, five days of meals.
    beneficiary_update(
        actor=officer,
        beneficiary_id=b.pk,
        data=mother(delivery="caesarean", payments=full_payments("caesarean")),
    )
    draft.refresh_from_db()
    assert draft.total_amount == 2_400_000 + 2_200_000
    entry = AuditEntry.objects.filter(estimate=draft).order_by("-seq").first()
    assert entry is not None and entry.data["register"] == "beneficiary.changed"
    assert entry.data["beneficiary"] == b.pk
    # Another's birth is: refused, nothing changed.
    with pytest.raises(RuleViolation) as caught:
        beneficiary_update(
            actor=officer,
            beneficiary_id=b.pk,
            data=mother(
                full_name="Mẹ mẫu số 2", national_id=ID_B, date_of_birth=dt.date(1995, 1, 2)
            ),
        )
    assert caught.value.field == "national_id"
    b.refresh_from_db()
    assert (b.national_id, b.delivery) == (ID_A, "caesarean")
    assert other.pk != b.pk


# --- a withdrawn estimate releases its beneficiaries -------------------------------


def test_a_withdrawn_estimate_releases_its_births_for_another_estimate(
    draft: Estimate, plan: Plan, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    b = beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    other = safe_birth_draft(plan, users["hoi.namxe"], "nam-xe")
    # Held while the first estimate stands.
    assert "another commune" in refused(users["hoi.namxe"], other, mother("nam-xe")).message
    services.estimate_withdraw(actor=officer, estimate_id=draft.pk, reason="Lập nhầm xã")
    b.refresh_from_db()
    assert b.released_at is not None
    assert b.estimate_id == draft.pk  # kept on the withdrawn estimate, for the record
    entry = AuditEntry.objects.get(estimate=draft, action="estimate.withdrawn")
    assert entry.data["beneficiaries_released"] == [b.pk]
    assert ID_A not in str(entry.data) and "Mẹ mẫu" not in str(entry.data)
    # The same birth, now on the other commune's estimate; and again in the first commune.
    again = beneficiary_register(
        actor=users["hoi.namxe"], estimate_id=other.pk, data=mother("nam-xe")
    )
    assert again.released_at is None
    other.refresh_from_db()
    assert other.total_amount == 2_200_000 and other.participants_women == 1
    # The new registration holds the birth in its turn.
    third = safe_birth_draft(plan, officer, "si-lo-lau")
    assert "another commune" in refused(officer, third, mother()).message


def test_a_withdrawn_draft_releases_too_and_the_database_allows_one_held_record(
    draft: Estimate, plan: Plan, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    b = beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    services.estimate_withdraw(actor=officer, estimate_id=draft.pk, reason="Bỏ bản nháp")
    second = safe_birth_draft(plan, officer, "si-lo-lau")
    kept = beneficiary_register(actor=officer, estimate_id=second.pk, data=mother())
    # The constraints hold one record per birth among those not released.
    copy = Beneficiary.objects.get(pk=kept.pk)
    copy.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert Beneficiary.objects.filter(national_id=ID_A).count() == 2
    assert Beneficiary.objects.get(pk=b.pk).released_at is not None


def test_withdrawing_an_estimate_without_beneficiaries_records_no_release(
    plan: Plan, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    est = services.estimate_create(
        actor=officer, plan=plan, unit=Unit.objects.get(code="si-lo-lau"), data=club_input(plan)
    )
    services.estimate_withdraw(actor=officer, estimate_id=est.pk, reason="Không thực hiện")
    entry = AuditEntry.objects.get(estimate=est, action="estimate.withdrawn")
    assert "beneficiaries_released" not in (entry.data or {})
