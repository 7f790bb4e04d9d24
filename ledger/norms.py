"""Cost norms: the effective-dated ceilings an estimate's lines are checked against
(warnings while drafting, refusal at appraisal unless kept with a reason), and their
upkeep (create, update, validate; one norm's validity periods never overlap)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.money import format_vnd
from core.transactions import step
from estimates.models import Estimate, EstimateLine, Norm

from .inputs import amount_clean as _amount
from .inputs import model_text as _text
from .models import NormOverride


@dataclass(frozen=True)
class NormFinding:
    """One way a line departs from its cost norm, in words a person can act on."""

    kind: str  # "validity", "unit_price", "quantity", "times"
    message: str
    citation: str
    norm_code: str


def norm_check_line(line: EstimateLine, on_date: dt.date) -> list[NormFinding]:
    """How a line departs from its norm on a date (none for a line without a norm).

    A warning when the line is drafted; at appraisal it blocks unless Finance-Planning
    keeps it with a reason (:func:`norm_appraisal_check`). A line whose appraised amount
    was cut to what the norm allows for its quantity and days passes on price.
    """
    norm = line.norm
    if norm is None:
        return []
    found: list[NormFinding] = []

    def add(kind: str, message: str) -> None:
        found.append(
            NormFinding(
                kind=kind,
                message=f"{message} ({norm.citation})",
                citation=norm.citation,
                norm_code=norm.code,
            )
        )

    if on_date < norm.valid_from or (norm.valid_to is not None and on_date > norm.valid_to):
        add(
            "validity",
            _("The norm “%(item)s” is not in force on %(date)s (in force %(from)s – %(to)s).")
            % {
                "item": norm.item,
                "date": on_date.strftime("%d/%m/%Y"),
                "from": norm.valid_from.strftime("%d/%m/%Y"),
                "to": norm.valid_to.strftime("%d/%m/%Y") if norm.valid_to else "…",
            },
        )
    quantity_ok = norm.max_quantity is None or line.quantity <= norm.max_quantity
    times_ok = norm.max_times is None or line.times <= norm.max_times
    ceiling = norm.max_unit_price * line.quantity * line.times
    cut_to_norm = line.appraised_amount is not None and line.appraised_amount <= ceiling
    if quantity_ok and times_ok and cut_to_norm:
        return found
    if line.unit_price > norm.max_unit_price:
        add(
            "unit_price",
            _("Unit price %(price)s is above the norm of %(max)s per %(unit)s for “%(item)s”.")
            % {
                "price": format_vnd(line.unit_price),
                "max": format_vnd(norm.max_unit_price),
                "unit": norm.unit,
                "item": norm.item,
            },
        )
    if not quantity_ok:
        add(
            "quantity",
            _("Quantity %(q)s is above the norm's maximum of %(max)s for “%(item)s”.")
            % {"q": line.quantity, "max": norm.max_quantity, "item": norm.item},
        )
    if not times_ok:
        add(
            "times",
            _("%(t)s days/times is above the norm's maximum of %(max)s for “%(item)s”.")
            % {"t": line.times, "max": norm.max_times, "item": norm.item},
        )
    return found


@step()
def norm_appraisal_check(
    *,
    estimate: Estimate,
    actor: Any,
    on_date: dt.date,
    overrides: dict[int, str] | None = None,
    lines: list[EstimateLine] | None = None,
) -> list[NormOverride]:
    """At appraisal: every line must meet its norm, unless Finance-Planning keeps it with a
    written reason (``overrides``: line id → reason), which is recorded. Raises
    RuleViolation listing the lines that neither meet their norm nor have a reason."""
    overrides = overrides or {}
    refused = []
    kept: list[NormOverride] = []
    if lines is None:
        lines = list(estimate.lines.select_related("norm").order_by("position"))
    for line in lines:
        findings = norm_check_line(line, on_date)
        if not findings:
            continue
        reason = _text(
            overrides.get(line.pk, ""),
            model=NormOverride,
            name="reason",
            field="norm_override_reason",
            multiline=True,
        )
        text = " ".join(f.message for f in findings)
        if reason:
            kept.append(NormOverride(line=line, findings=text, reason=reason, created_by=actor))
        else:
            refused.append(_("Line %(pos)s: %(text)s") % {"pos": line.position, "text": text})
    if refused:
        raise RuleViolation(
            " ".join(refused)
            + " "
            + _("Lower these lines to the norm, or give a reason to keep them."),
            field="lines",
        )
    return NormOverride.objects.bulk_create(kept) if kept else []


NORM_FIELDS = (
    "code",
    "item",
    "unit",
    "max_unit_price",
    "max_quantity",
    "max_times",
    "valid_from",
    "valid_to",
    "citation",
)


def _norm_lock(code: str) -> None:
    """Serialise writes of one norm code. On PostgreSQL a transaction-scoped advisory lock
    (there may be no row to lock yet); SQLite allows one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"ledger.norm:{code}"])


def _norm_clean(values: dict[str, Any]) -> dict[str, Any]:
    code_message = _("A norm code is lower-case letters, digits and hyphens.")
    code = _text(values.get("code") or "", model=Norm, name="code", message=code_message)
    if slugify(code) != code:
        raise RuleViolation(code_message, field="code")
    values["code"] = code
    values["item"] = _text(values.get("item"), model=Norm, name="item", message=_("Name the item."))
    values["unit"] = _text(
        values.get("unit"), model=Norm, name="unit", message=_("Enter the unit of measure.")
    )
    values["citation"] = _text(
        values.get("citation"),
        model=Norm,
        name="citation",
        message=_("Cite the legal text the norm comes from."),
    )
    values["max_unit_price"] = _amount(
        values.get("max_unit_price"), field="max_unit_price", positive=True
    )
    for key in ("max_quantity", "max_times"):
        value = values.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            raise RuleViolation(_("A maximum is a whole number above zero, or empty."), field=key)
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if not isinstance(valid_from, dt.date):
        raise RuleViolation(_("Enter the date the norm applies from."), field="valid_from")
    if valid_to is not None and (not isinstance(valid_to, dt.date) or valid_to < valid_from):
        raise RuleViolation(_("A norm cannot end before it starts."), field="valid_to")
    return values


def _norm_refuse_overlap(
    values: dict[str, Any], exclude_pk: int | None, *, lock: bool = True
) -> None:
    if lock:
        _norm_lock(values["code"])
    clash = Norm.objects.filter(code=values["code"])
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    clash = clash.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=values["valid_from"]))
    if values["valid_to"] is not None:
        clash = clash.filter(valid_from__lte=values["valid_to"])
    if lock:
        clash = clash.select_for_update()
    other = clash.order_by("valid_from").first()
    if other is not None:
        raise RuleViolation(
            _(
                "Norm “%(code)s” already applies from %(from)s to %(to)s: validity periods of "
                "one norm cannot overlap. End the earlier one first."
            )
            % {
                "code": other.code,
                "from": other.valid_from.strftime("%d/%m/%Y"),
                "to": other.valid_to.strftime("%d/%m/%Y") if other.valid_to else "…",
            },
            field="valid_from",
        )


@step()
def norm_create(
    *,
    code: str,
    item: str,
    unit: str,
    max_unit_price: int,
    valid_from: dt.date,
    citation: str,
    max_quantity: int | None = None,
    max_times: int | None = None,
    valid_to: dt.date | None = None,
) -> Norm:
    """Add a cost norm; refused when its validity overlaps another of the same code.

    The overlap rule is a locked check here, not a database constraint: an
    ``ExclusionConstraint`` (with btree_gist) is PostgreSQL-only and cannot be migrated on
    the SQLite embedded default, so it is not used.
    """
    values = _norm_clean(
        {
            "code": code,
            "item": item,
            "unit": unit,
            "max_unit_price": max_unit_price,
            "max_quantity": max_quantity,
            "max_times": max_times,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "citation": citation,
        }
    )
    _norm_refuse_overlap(values, None)
    return Norm.objects.create(**values)


@step()
def norm_update(*, norm: Norm, **changes: Any) -> Norm:
    """Change a norm's fields (any of code, item, unit, max_unit_price, max_quantity,
    max_times, valid_from, valid_to, citation), with the same checks as :func:`norm_create`."""
    unknown = set(changes) - set(NORM_FIELDS)
    if unknown:
        raise TypeError(f"norm_update() got unexpected fields: {', '.join(sorted(unknown))}")
    current = Norm.objects.select_for_update().get(pk=norm.pk)
    values = {key: getattr(current, key) for key in NORM_FIELDS} | changes
    values = _norm_clean(values)
    _norm_refuse_overlap(values, current.pk)
    for key, value in values.items():
        setattr(current, key, value)
    current.save(update_fields=list(NORM_FIELDS))
    return current


def norm_validate(*, norm: Norm | None = None, **values: Any) -> None:
    """The checks of :func:`norm_create`/:func:`norm_update` without writing or locking,
    for a form to show the message next to the field; the services check again under
    the lock when they save."""
    unknown = set(values) - set(NORM_FIELDS)
    if unknown:
        raise TypeError(f"norm_validate() got unexpected fields: {', '.join(sorted(unknown))}")
    current = {key: getattr(norm, key) for key in NORM_FIELDS} if norm else {}
    checked = _norm_clean(current | values)
    _norm_refuse_overlap(checked, norm.pk if norm else None, lock=False)
