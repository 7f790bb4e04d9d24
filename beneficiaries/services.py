"""Registering the mothers supported under a register activity, and counting an estimate's
participants per priority group.

Every change goes through the drafting service (``approvals.services.drafting.
estimate_register_change``): the ``update`` row of the lifecycle table (a draft or a
returned estimate, the draft permission on its commune), the estimate locked, the change
audited as an edit of the estimate with the record's id only, and the estimate's cost lines
regenerated from the list in the same transaction, so the amounts cannot drift from it.

Messages never hold a name, an ID number or a date of a person: they name the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.services.drafting import LineInput, estimate_register_change
from core.errors import RuleViolation
from core.money import MAX_AMOUNT
from core.search import fold
from core.text import field_limit, text_clean
from estimates.models import Activity, Estimate, EstimateLine, Norm, Source
from organization.models import Unit, UnitKind

from .models import (
    FACILITY_PLACES,
    Beneficiary,
    Component,
    Delivery,
    Ethnicity,
    GroupCount,
    Payment,
    Place,
    PriorityGroup,
    RegisterActivity,
)

#: The cost norm of each payment component (codes of ``ledger/data/norms.yaml``, Circular
#: 15/2022/TT-BTC art. 38); meals depend on the delivery. The amounts are the norms' rows.
NORM_CODES: dict[str, dict[str, str]] = {
    Component.TRAVEL: {
        Delivery.NORMAL: "safe-birth-travel",
        Delivery.CAESAREAN: "safe-birth-travel",
    },
    Component.KIT: {Delivery.NORMAL: "safe-birth-kit", Delivery.CAESAREAN: "safe-birth-kit"},
    Component.MEALS: {
        Delivery.NORMAL: "safe-birth-meals-normal",
        Delivery.CAESAREAN: "safe-birth-meals-caesarean",
    },
    Component.NUTRITION: {
        Delivery.NORMAL: "safe-birth-nutrition",
        Delivery.CAESAREAN: "safe-birth-nutrition",
    },
}

#: Two registrations of one mother whose births are closer than this are the same birth.
SAME_BIRTH_DAYS = 280

_ID_SHAPE = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class PaymentInput:
    quantity: int
    unit_price: int
    times: int = 1


@dataclass(frozen=True)
class BeneficiaryInput:
    full_name: str
    date_of_birth: dt.date
    ethnicity_id: int
    village_id: int
    national_id: str
    birth_date: dt.date
    place: str
    facility: str
    delivery: str
    babies: int = 1
    group_ids: Sequence[int] = ()
    payments: Mapping[str, PaymentInput] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleResult:
    """One eligibility rule, passed or refused, in words."""

    code: str  # "village", "group", "age", "facility", "period"
    passed: bool
    message: str


# --- the register's lines -------------------------------------------------------------


def register_of(activity: Activity) -> RegisterActivity | None:
    return RegisterActivity.objects.filter(activity_id=activity.pk).first()


#: Whether an activity is a register one, kept on the activity object once known: read with
#: the activity of a draft (``approvals.services.drafting.activity_annotations``), or set by
#: ``register_lines_for``; ``register_participants_for`` answers from it.
REGISTER_FLAG = "is_register_activity"
REGISTER_ACTIVITY_ANNOTATION = {
    REGISTER_FLAG: Exists(RegisterActivity.objects.filter(activity=OuterRef("pk")))
}


def register_lines_for(estimate: Estimate | None, activity: Activity) -> list[LineInput] | None:
    """The hook of ``approvals.services.drafting.register_lines``: the lines an estimate of
    a register activity holds, one per (component, norm, unit price, days) of its
    beneficiaries' payments (quantities added, the norm's item and citation as the
    description); None for another activity. An estimate
    that lists beneficiaries cannot move to an activity without a register."""
    known = getattr(activity, REGISTER_FLAG, None)
    if estimate is None and known is not None:
        registered, has_list = known, False  # a new draft lists nobody yet
    else:
        listed: Any = (
            Exists(Beneficiary.objects.filter(estimate=estimate))
            if estimate is not None
            else Value(False)
        )
        registered, has_list = (
            Activity.objects.filter(pk=activity.pk)
            .annotate(
                registered=Exists(RegisterActivity.objects.filter(activity=OuterRef("pk"))),
                listed=listed,
            )
            .values_list("registered", "listed")
            .get()
        )
    setattr(activity, REGISTER_FLAG, registered)
    if not registered:
        if has_list:
            raise RuleViolation(
                _("Remove the beneficiaries before choosing another activity."), field="activity"
            )
        return None
    if estimate is None:
        return []
    return lines_from_payments(
        Payment.objects.filter(beneficiary__estimate=estimate).select_related("norm")
    )


def register_participants_for(estimate: Estimate | None, activity: Activity) -> int | None:
    """The hook of ``approvals.services.drafting.register_participants``: the women an
    estimate of a register activity counts are its beneficiaries (none on a new draft);
    None for another activity (the count is typed)."""
    registered = getattr(activity, REGISTER_FLAG, None)
    if registered is None:
        registered = RegisterActivity.objects.filter(activity_id=activity.pk).exists()
    if not registered:
        return None
    if estimate is None or estimate.pk is None:
        return 0
    return Beneficiary.objects.filter(estimate=estimate, released_at__isnull=True).count()


def lines_from_payments(payments: Any) -> list[LineInput]:
    grouped: dict[tuple[str, int, int, int], int] = defaultdict(int)
    norms: dict[int, Norm] = {}
    for p in payments:
        grouped[(p.component, p.norm_id, p.unit_price, p.times)] += p.quantity
        norms[p.norm_id] = p.norm
    order = list(Component.values)
    lines = []
    for (_component, norm_id, unit_price, times), quantity in sorted(
        grouped.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1:])
    ):
        norm = norms[norm_id]
        # The norm was checked per mother at registration; the line adds up several, so
        # it carries the norm's citation in words and no norm of its own (its quantity is
        # the sum, above a per-birth maximum by design).
        description = f"{norm.item} ({norm.citation})"
        lines.append(
            LineInput(
                description=description[: field_limit(EstimateLine, "description")],
                unit_of_measure=norm.unit,
                quantity=quantity,
                unit_price=unit_price,
                times=times,
                source=Source.CURRENT,
            )
        )
    return lines


# --- checks ---------------------------------------------------------------------------


def national_id_check(value: Any, date_of_birth: dt.date | None) -> str:
    """A citizen identity card number (CCCD): 12 digits; the first three a province code
    (001-096), the fourth the century of birth and sex (a woman: 1 for 1900-1999, 3 for
    2000-2099), the fifth and sixth the last two digits of the year of birth. The message
    never repeats the number."""
    if not isinstance(value, str):
        raise RuleViolation(_("Enter the national ID number."), field="national_id")
    number = value.strip().replace(" ", "")
    if not _ID_SHAPE.match(number):
        raise RuleViolation(
            _("A national ID number (CCCD) is exactly 12 digits."), field="national_id"
        )
    if not 1 <= int(number[:3]) <= 96:
        raise RuleViolation(
            _("The first three digits of a national ID number are a province code (001-096)."),
            field="national_id",
        )
    if date_of_birth is not None:
        century_digit = 1 + 2 * ((date_of_birth.year - 1900) // 100)
        if number[3] != str(century_digit) or number[4:6] != f"{date_of_birth.year % 100:02d}":
            raise RuleViolation(
                _(
                    "Digits 4 to 6 of the national ID number do not match a woman born in "
                    "the year of the date of birth."
                ),
                field="national_id",
            )
    return number


def _date(value: Any, field_name: str, message: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise RuleViolation(message, field=field_name)
    return value


def _whole(value: Any, field_name: str, *, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        raise RuleViolation(
            _("Enter a whole number from 1 to %(max)s.") % {"max": maximum}, field=field_name
        )
    return value


def eligibility(
    *,
    estimate: Estimate,
    register: RegisterActivity,
    village: Unit | None,
    ethnicity: Ethnicity | None,
    groups: Sequence[PriorityGroup],
    date_of_birth: dt.date,
    birth_date: dt.date,
    place: str,
) -> list[RuleResult]:
    """Each rule of the support, passed or refused and why: a resident of a village of the
    plan's area in the estimate's commune; an ethnic-minority woman, or of a group the plan
    makes eligible; of the minimum age at the birth; a birth at a health facility; a birth
    within the plan's period (and not in the future)."""
    plan = estimate.plan
    results: list[RuleResult] = []
    in_area = (
        village is not None
        and village.kind == UnitKind.VILLAGE
        and village.is_active
        and village.parent_id == estimate.unit_id
        and plan.communes.filter(commune_id=estimate.unit_id).exists()
    )
    results.append(
        RuleResult(
            "village",
            in_area,
            _("Resides in a village of the plan's area in this commune.")
            if in_area
            else _("The village is not one of the plan's villages in this commune."),
        )
    )
    eligible_groups = [g for g in groups if g.safe_birth_eligible]
    minority = ethnicity is not None and ethnicity.is_minority
    results.append(
        RuleResult(
            "group",
            minority or bool(eligible_groups),
            _("An ethnic-minority woman.")
            if minority
            else _("Of a group the plan makes eligible.")
            if eligible_groups
            else _("Not of an ethnic minority nor of a group the plan makes eligible."),
        )
    )
    years = birth_date.year - date_of_birth.year
    if (birth_date.month, birth_date.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    old_enough = years >= register.min_age
    results.append(
        RuleResult(
            "age",
            old_enough,
            _("At least %(n)s years old at the birth.") % {"n": register.min_age}
            if old_enough
            else _("Younger than %(n)s at the birth.") % {"n": register.min_age},
        )
    )
    at_facility = place in FACILITY_PLACES
    results.append(
        RuleResult(
            "facility",
            at_facility,
            _("Gave birth at a health facility.")
            if at_facility
            else _("The support is for a birth at a health facility."),
        )
    )
    in_period = plan.period_start <= birth_date <= plan.period_end
    not_future = birth_date <= timezone.localdate()
    results.append(
        RuleResult(
            "period",
            in_period and not_future,
            _("The birth falls within the plan's period (%(start)s – %(end)s).")
            % {
                "start": plan.period_start.strftime("%d/%m/%Y"),
                "end": plan.period_end.strftime("%d/%m/%Y"),
            }
            if in_period and not_future
            else _("The birth date is in the future.")
            if not not_future
            else _("The birth is outside the plan's period (%(start)s – %(end)s).")
            % {
                "start": plan.period_start.strftime("%d/%m/%Y"),
                "end": plan.period_end.strftime("%d/%m/%Y"),
            },
        )
    )
    return results


#: The form field each eligibility rule is reported at.
RULE_FIELDS = {
    "village": "village",
    "group": "ethnicity",
    "age": "date_of_birth",
    "facility": "place",
    "period": "birth_date",
}


def norm_in_force(code: str, on: dt.date) -> Norm | None:
    return (
        Norm.objects.filter(code=code, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .first()
    )


def payments_check(
    payments: Mapping[str, PaymentInput], *, delivery: str, on: dt.date
) -> list[Payment]:
    """Each component against its norm in force on the birth date: the unit price, the
    quantity (people) and the days within the norm's maxima. The message names the
    component's field and cites the norm."""
    if not isinstance(payments, Mapping):
        raise RuleViolation(_("Give the payments per component."), field="payments")
    unknown = set(payments) - set(Component.values)
    if unknown:
        raise RuleViolation(_("Unknown payment component."), field="payments")
    if not payments:
        raise RuleViolation(_("Enter at least one payment."), field="payments")
    rows: list[Payment] = []
    for component in Component.values:
        if component not in payments:
            continue
        typed = payments[component]
        where = f"payments.{component}"
        code = NORM_CODES[component][delivery]
        norm = norm_in_force(code, on)
        label = Component(component).label
        if norm is None:
            raise RuleViolation(
                _(
                    "No cost norm for “%(component)s” is in force on the birth date: ask the "
                    "administrator to load it."
                )
                % {"component": label},
                field=where,
            )
        quantity = _whole(typed.quantity, f"{where}.quantity", maximum=1000)
        times = _whole(typed.times, f"{where}.times", maximum=1000)
        unit_price = _whole(typed.unit_price, f"{where}.unit_price", maximum=MAX_AMOUNT)
        if unit_price > norm.max_unit_price:
            raise RuleViolation(
                _("%(component)s: the unit price is above the norm of %(max)s đồng (%(cite)s).")
                % {
                    "component": label,
                    "max": f"{norm.max_unit_price:,}".replace(",", "."),
                    "cite": norm.citation,
                },
                field=f"{where}.unit_price",
            )
        if norm.max_quantity is not None and quantity > norm.max_quantity:
            raise RuleViolation(
                _("%(component)s: at most %(max)s %(unit)s under the norm (%(cite)s).")
                % {
                    "component": label,
                    "max": norm.max_quantity,
                    "unit": norm.unit,
                    "cite": norm.citation,
                },
                field=f"{where}.quantity",
            )
        if norm.max_times is not None and times > norm.max_times:
            raise RuleViolation(
                _("%(component)s: at most %(max)s days/times under the norm (%(cite)s).")
                % {"component": label, "max": norm.max_times, "cite": norm.citation},
                field=f"{where}.times",
            )
        rows.append(
            Payment(
                component=component,
                norm=norm,
                quantity=quantity,
                unit_price=unit_price,
                times=times,
                amount=quantity * unit_price * times,
            )
        )
    return rows


def _duplicate_message(same_commune: bool) -> str:
    if same_commune:
        return _(
            "This birth has already been registered for support in this commune: a second "
            "payment for the same birth is not allowed."
        )
    return _(
        "This birth has already been registered for support in another commune: a second "
        "payment for the same birth is not allowed."
    )


def _refuse_duplicate(
    estimate: Estimate,
    national_id: str,
    name_key: str,
    date_of_birth: dt.date,
    birth: dt.date,
    exclude_pk: int | None = None,
) -> None:
    window = dt.timedelta(days=SAME_BIRTH_DAYS)
    held = Beneficiary.objects.filter(released_at__isnull=True)
    others = held.exclude(pk=exclude_pk) if exclude_pk else held
    clash = (
        others.filter(birth_date__gt=birth - window, birth_date__lt=birth + window)
        .filter(Q(national_id=national_id) | Q(name_key=name_key, date_of_birth=date_of_birth))
        .values_list("estimate__unit_id", flat=True)
        .first()
    )
    if clash is not None:
        raise RuleViolation(_duplicate_message(clash == estimate.unit_id), field="national_id")


# --- the services ---------------------------------------------------------------------


def _cleaned_text(data: BeneficiaryInput) -> tuple[str, str]:
    name = text_clean(
        data.full_name,
        field="full_name",
        max_length=field_limit(Beneficiary, "full_name"),
        required=True,
        required_message=_("Enter the mother's full name."),
    )
    facility = text_clean(
        data.facility, field="facility", max_length=field_limit(Beneficiary, "facility")
    )
    return name, facility


def _checked(
    estimate: Estimate, data: BeneficiaryInput, *, exclude_pk: int | None = None
) -> tuple[dict[str, Any], list[Payment], list[PriorityGroup]]:
    """The record's fields, payments and groups as they will be stored, or the first
    refusal (a RuleViolation naming the field, never the value)."""
    register = register_of(estimate.activity)
    if register is None:
        raise RuleViolation(
            _("This estimate's activity keeps no beneficiary list."), field="estimate"
        )
    name, facility = _cleaned_text(data)
    date_of_birth = _date(
        data.date_of_birth, "date_of_birth", _("Enter the date of birth as dd/mm/yyyy.")
    )
    birth = _date(data.birth_date, "birth_date", _("Enter the birth date as dd/mm/yyyy."))
    if birth <= date_of_birth:
        raise RuleViolation(
            _("The birth date must come after the mother's date of birth."), field="birth_date"
        )
    national_id = national_id_check(data.national_id, date_of_birth)
    if data.delivery not in Delivery.values:
        raise RuleViolation(_("Choose normal birth or caesarean."), field="delivery")
    if data.place not in Place.values:
        raise RuleViolation(_("Choose where the birth took place."), field="place")
    if data.place in FACILITY_PLACES and not facility:
        raise RuleViolation(_("Name the health facility."), field="facility")
    babies = _whole(data.babies, "babies", maximum=10)
    ethnicity = Ethnicity.objects.filter(pk=_pk(data.ethnicity_id)).first()
    if ethnicity is None:
        raise RuleViolation(_("Choose an ethnicity."), field="ethnicity")
    village = Unit.objects.filter(pk=_pk(data.village_id), kind=UnitKind.VILLAGE).first()
    group_ids = {_pk(g) for g in data.group_ids}
    groups = list(PriorityGroup.objects.filter(pk__in=group_ids))
    if len(groups) != len(group_ids):
        raise RuleViolation(_("Choose priority groups from the list."), field="groups")
    results = eligibility(
        estimate=estimate,
        register=register,
        village=village,
        ethnicity=ethnicity,
        groups=groups,
        date_of_birth=date_of_birth,
        birth_date=birth,
        place=data.place,
    )
    for result in results:
        if not result.passed:
            raise RuleViolation(result.message, field=RULE_FIELDS[result.code])
    if village is None:  # the "village" rule refused it already
        raise RuleViolation(_("Choose a village."), field="village")
    payments = payments_check(data.payments, delivery=data.delivery, on=birth)
    name_key = fold(" ".join(name.split()))
    _refuse_duplicate(estimate, national_id, name_key, date_of_birth, birth, exclude_pk)
    fields = {
        "full_name": name,
        "name_key": name_key,
        "date_of_birth": date_of_birth,
        "ethnicity": ethnicity,
        "village": village,
        "national_id": national_id,
        "birth_date": birth,
        "place": data.place,
        "facility": facility,
        "delivery": data.delivery,
        "babies": babies,
        "total_amount": sum(p.amount for p in payments),
    }
    return fields, payments, groups


def _save(beneficiary: Beneficiary, payments: list[Payment], groups: list[PriorityGroup]) -> None:
    try:
        with transaction.atomic():
            beneficiary.save()
    except IntegrityError:
        # A registration of the same birth committed meanwhile (the constraints).
        raise RuleViolation(_duplicate_message(False), field="national_id") from None
    Payment.objects.filter(beneficiary=beneficiary).delete()
    for p in payments:
        p.beneficiary = beneficiary
    Payment.objects.bulk_create(payments)
    beneficiary.groups.set(groups)


def beneficiary_register(*, actor: Any, estimate_id: int, data: BeneficiaryInput) -> Beneficiary:
    """Register a mother and what she is paid on an estimate of a register activity (its
    commune's draft). Refused with a message naming the field, nothing written: bad shapes,
    a rule of eligibility, a payment above its norm, a second payment for the same birth
    (in this commune or another; also held by unique constraints)."""
    created: list[Beneficiary] = []

    def change(estimate: Estimate) -> tuple[dict[str, Any], Sequence[str]]:
        fields, payments, groups = _checked(estimate, data)
        beneficiary = Beneficiary(estimate=estimate, created_by=actor, **fields)
        _save(beneficiary, payments, groups)
        created.append(beneficiary)
        counted = _follow_counts(estimate)
        return {"register": "beneficiary.registered", "beneficiary": beneficiary.pk}, counted

    estimate_register_change(actor=actor, estimate_id=estimate_id, change=change)
    return created[0]


def beneficiary_update(*, actor: Any, beneficiary_id: int, data: BeneficiaryInput) -> Beneficiary:
    """Correct a mother's record on a draft (its commune's drafter), with the same checks
    as registering her; the lines follow. The audit entry names the record only."""
    estimate_id = (
        Beneficiary.objects.filter(pk=_pk(beneficiary_id))
        .values_list("estimate_id", flat=True)
        .first()
    )
    if estimate_id is None:
        raise RuleViolation(_("No such beneficiary."))
    changed: list[Beneficiary] = []

    def change(estimate: Estimate) -> tuple[dict[str, Any], Sequence[str]]:
        beneficiary = Beneficiary.objects.filter(pk=beneficiary_id, estimate=estimate).first()
        if beneficiary is None:
            raise RuleViolation(_("No such beneficiary."))
        fields, payments, groups = _checked(estimate, data, exclude_pk=beneficiary.pk)
        for name, value in fields.items():
            setattr(beneficiary, name, value)
        _save(beneficiary, payments, groups)
        changed.append(beneficiary)
        counted = _follow_counts(estimate)
        return {"register": "beneficiary.changed", "beneficiary": beneficiary.pk}, counted

    estimate_register_change(actor=actor, estimate_id=estimate_id, change=change)
    return changed[0]


def beneficiary_remove(*, actor: Any, beneficiary_id: int) -> Estimate:
    """Take a mother off a draft's list (its commune's drafter); the lines follow."""
    row = Beneficiary.objects.filter(pk=_pk(beneficiary_id)).values_list("estimate_id", flat=True)
    estimate_id = row.first()
    if estimate_id is None:
        raise RuleViolation(_("No such beneficiary."))

    def change(estimate: Estimate) -> tuple[dict[str, Any], Sequence[str]]:
        deleted, _n = Beneficiary.objects.filter(pk=beneficiary_id, estimate=estimate).delete()
        if not deleted:
            raise RuleViolation(_("No such beneficiary."))
        fields = _follow_counts(estimate)
        return {"register": "beneficiary.removed", "beneficiary": beneficiary_id}, fields

    return estimate_register_change(actor=actor, estimate_id=estimate_id, change=change)


def register_release(estimate: Estimate) -> dict[str, Any]:
    """The hook of ``approvals.services.drafting.register_release``: a withdrawn estimate's
    beneficiaries are released (kept on it, marked with the time), so their births may be
    registered on another estimate. The withdrawal's audit entry lists their ids."""
    ids = list(
        Beneficiary.objects.filter(estimate=estimate, released_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return {}
    Beneficiary.objects.filter(pk__in=ids).update(released_at=timezone.now())
    return {"beneficiaries_released": ids}


def _follow_counts(estimate: Estimate) -> list[str]:
    """A register estimate's participants are its beneficiaries: the women counted, and
    the priority groups (a group that ``counts_minority`` counts every ethnic-minority
    mother; the others, those ticked)."""
    rows = list(
        Beneficiary.objects.filter(estimate=estimate)
        .select_related("ethnicity")
        .prefetch_related("groups")
    )
    counts: dict[int, int] = defaultdict(int)
    minority_groups = list(PriorityGroup.objects.filter(counts_minority=True))
    for b in rows:
        mine = {g.pk for g in b.groups.all()}
        if b.ethnicity.is_minority:
            mine |= {g.pk for g in minority_groups}
        for pk in mine:
            counts[pk] += 1
    GroupCount.objects.filter(estimate=estimate).delete()
    GroupCount.objects.bulk_create(
        [GroupCount(estimate=estimate, group_id=pk, count=n) for pk, n in counts.items()]
    )
    estimate.participants_women = len(rows)
    return ["participants_women"]


def estimate_groups_set(*, actor: Any, estimate_id: int, counts: Mapping[Any, Any]) -> Estimate:
    """Set how many of an estimate's participants belong to each priority group (its
    drafting unit, while it is a draft or returned). A count is a whole number from 0 to
    1,000,000; a group not given counts 0. A register activity's counts come from its list."""
    if not isinstance(counts, Mapping):
        raise RuleViolation(_("Give the counts per priority group."), field="groups")
    known = {g.pk: g for g in PriorityGroup.objects.all()}
    cleaned: dict[int, int] = {}
    for key, value in counts.items():
        pk = _pk(key)
        if pk not in known:
            raise RuleViolation(_("Choose priority groups from the list."), field="groups")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise RuleViolation(
                _("Enter a number of people from 0 to 1,000,000."), field=f"groups.{pk}"
            )
        cleaned[pk] = value

    def change(estimate: Estimate) -> tuple[dict[str, Any], Sequence[str]]:
        if register_of(estimate.activity) is not None:
            raise RuleViolation(
                _("This estimate's participants are counted from its beneficiary list."),
                field="groups",
            )
        GroupCount.objects.filter(estimate=estimate).delete()
        GroupCount.objects.bulk_create(
            [GroupCount(estimate=estimate, group_id=pk, count=n) for pk, n in cleaned.items() if n]
        )
        return {"register": "groups.set", "groups": {str(k): v for k, v in cleaned.items()}}, []

    return estimate_register_change(actor=actor, estimate_id=estimate_id, change=change)


def _pk(value: Any) -> int:
    if isinstance(value, bool):
        return -1
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
