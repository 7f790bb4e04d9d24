"""Drafting: the drafting unit creates, edits, submits and withdraws its estimates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import CompiledQueries, rows_update
from core.errors import Problems, RuleViolation
from core.money import MAX_AMOUNT
from core.text import field_limit, text_clean
from core.transactions import unit_of_work
from estimates.models import (
    Activity,
    Estimate,
    EstimateLine,
    EstimateStatus,
    EstimateVersion,
    Norm,
    Plan,
    PlanCommune,
    Source,
)
from estimates.selectors import estimate_lines
from ledger import services as ledger
from organization import permissions as perms
from organization.models import Unit, UnitKind
from workflows import engine

from .. import access
from ..audit import audit_record
from ..models import Stage
from .transition import transition

S = EstimateStatus
MAX_LINES = 200


@dataclass(frozen=True)
class LineInput:
    """One cost line as typed. ``line_id`` names an existing line being edited."""

    description: str
    unit_of_measure: str
    quantity: int
    unit_price: int
    times: int = 1
    source: str = Source.CURRENT
    norm_id: int | None = None
    line_id: int | None = None


@dataclass(frozen=True)
class EstimateInput:
    activity_id: int
    title: str
    start_date: dt.date
    end_date: dt.date
    purpose: str = ""
    village_ids: Sequence[int] = ()
    participants_women: int = 0
    participants_girls: int = 0
    participants_men: int = 0
    lines: Sequence[LineInput] = field(default_factory=tuple)


def _no_register(estimate: Estimate | None, activity: Activity) -> list[LineInput] | None:
    return None


#: The lines an estimate of ``activity`` must hold because they come from its register
#: (its beneficiary list), or None when it may hold any lines. ``estimate`` is None for a
#: new draft. Set by the beneficiaries app (``beneficiaries.services.register_lines_for``):
#: approvals sits below it.
register_lines: Callable[[Estimate | None, Activity], list[LineInput] | None] = _no_register

#: What the beneficiaries app reads with the activity of an estimate being drafted
#: (annotations by name: whether it is a register activity), so that ``register_lines``
#: answers a new draft without a query of its own.
activity_annotations: dict[str, Any] = {}


def _no_count(estimate: Estimate | None, activity: Activity) -> int | None:
    return None


#: How many women an estimate of ``activity`` counts because they come from its register
#: (its beneficiary list), or None when the count is typed. Set by the beneficiaries app
#: (``beneficiaries.services.register_participants_for``).
register_participants: Callable[[Estimate | None, Activity], int | None] = _no_count


def participants_counted(estimate: Estimate | None, activity: Activity) -> int | None:
    """The women an estimate of ``activity`` counts from its register, or None when the
    count is typed (pages use it to show the count read-only)."""
    return register_participants(estimate, activity)


def _participants_follow_register(
    estimate: Estimate | None, activity: Activity, data: EstimateInput
) -> None:
    """Refuse a typed count of women that differs from the register's."""
    counted = register_participants(estimate, activity)
    if counted is not None and data.participants_women != counted:
        raise RuleViolation(
            _(
                "The women taking part in this activity are counted from its beneficiary "
                "list (%(n)s): change the list, not the count."
            )
            % {"n": counted},
            field="participants_women",
        )


def _nothing_to_release(estimate: Estimate) -> dict[str, Any]:
    return {}


#: What a withdrawn estimate lets go of besides its reservation in the ledger (its
#: beneficiaries, who may then be registered on another estimate), called in the
#: withdrawal's transaction with the estimate locked; returns the audit entry's data (ids,
#: never personal data). Set by the beneficiaries app (``beneficiaries.services.
#: register_release``).
register_release: Callable[[Estimate], dict[str, Any]] = _nothing_to_release


def _line_keys(lines: Sequence[LineInput]) -> list[tuple[Any, ...]]:
    return [
        (
            line.description,
            line.unit_of_measure,
            line.quantity,
            line.unit_price,
            line.times,
            line.source,
            line.norm_id,
        )
        for line in lines
    ]


def _lines_follow_register(
    estimate: Estimate | None, activity: Activity, lines: Sequence[LineInput]
) -> None:
    """Refuse typed lines that differ from the register's: they are not edited by hand."""
    wanted = register_lines(estimate, activity)
    if wanted is not None and _line_keys(lines) != _line_keys(wanted):
        raise RuleViolation(
            _(
                "The cost lines of this activity come from its beneficiary list: change the "
                "list, not the lines."
            ),
            field="lines",
        )


@dataclass(frozen=True)
class LineCut:
    """Appraisal of one line: the appraised amount (never above the requested) and why."""

    line_id: int
    appraised_amount: int
    reason: str = ""


def _cleaned(data: EstimateInput) -> EstimateInput:
    """The typed texts as they will be stored (``core.text``: NFC, trimmed, within the
    model field's limit; refused, never cut)."""
    if isinstance(data.lines, str) or not isinstance(data.lines, Sequence):
        raise RuleViolation(_("Give the cost lines as a list."), field="lines")
    lines = []
    problems = Problems()  # every line's refusals at once, each naming its line and field
    for index, line in enumerate(data.lines):
        where = f"lines[{index}]"
        texts = {}
        for name in ("description", "unit_of_measure"):
            with problems.collect():
                texts[name] = text_clean(
                    getattr(line, name),
                    field=f"{where}.{name}",
                    max_length=field_limit(EstimateLine, name),
                )
        if len(texts) == 2:
            line = replace(
                line, description=texts["description"], unit_of_measure=texts["unit_of_measure"]
            )
        _line_figures(line, index, problems)
        lines.append(line)
    problems.raise_any()
    return replace(
        data,
        title=text_clean(
            data.title,
            field="title",
            max_length=field_limit(Estimate, "title"),
            required=True,
            required_message=_("Give the estimate a title."),
        ),
        purpose=text_clean(
            data.purpose,
            field="purpose",
            max_length=field_limit(Estimate, "purpose"),
            multiline=True,
        ),
        lines=tuple(lines),
    )


#: The activity's read, compiled once per connection (``core.db``).
_ACTIVITIES = CompiledQueries()


def _activity_read(plan: Plan, activity_id: Any) -> Activity | None:
    """The plan's activity ``activity_id`` with its content (and what the apps above read
    with it: ``activity_annotations``), or None."""
    if isinstance(activity_id, bool):
        return None
    try:
        pk = int(activity_id)
    except (TypeError, ValueError):
        return None

    def build(pk: int, plan_id: int) -> QuerySet[Activity]:
        return (
            Activity.objects.select_related("content")
            .annotate(**activity_annotations)
            .filter(pk=pk, content__plan=plan_id)
            .order_by("pk")[:1]
        )

    found = _ACTIVITIES.fetch(tuple(activity_annotations), build, [pk, plan.pk])
    return found[0] if found else None


def _check_input(
    plan: Plan, unit: Unit, level: str, data: EstimateInput
) -> tuple[Activity, list[Unit]]:
    activity = _activity_read(plan, data.activity_id)
    if activity is None:
        raise RuleViolation(_("Choose an activity of the plan's catalogue."), field="activity")
    if not activity.allows_level(level):
        raise RuleViolation(_("This activity is not run at this level."), field="activity")
    if not isinstance(data.start_date, dt.date) or not isinstance(data.end_date, dt.date):
        raise RuleViolation(_("Enter the dates as dd/mm/yyyy."), field="start_date")
    if data.end_date < data.start_date:
        raise RuleViolation(_("The activity ends before it starts."), field="end_date")
    if data.start_date < plan.period_start or data.end_date > plan.period_end:
        raise RuleViolation(
            _("The activity must fall within the plan's period (%(start)s – %(end)s).")
            % {
                "start": plan.period_start.strftime("%d/%m/%Y"),
                "end": plan.period_end.strftime("%d/%m/%Y"),
            },
            field="start_date",
        )
    for name in ("participants_women", "participants_girls", "participants_men"):
        value = getattr(data, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise RuleViolation(_("Enter a number of people from 0 to 1,000,000."), field=name)
    villages = (
        list(Unit.objects.filter(pk__in=list(data.village_ids), kind=UnitKind.VILLAGE))
        if data.village_ids
        else []
    )
    if len(villages) != len(set(data.village_ids)) or any(v.parent_id != unit.pk for v in villages):
        raise RuleViolation(
            _("Choose villages of %(unit)s only.") % {"unit": unit.name}, field="villages"
        )
    if len(data.lines) > MAX_LINES:
        raise RuleViolation(_("At most %(n)s cost lines.") % {"n": MAX_LINES}, field="lines")
    return activity, villages


def _line_figures(line: LineInput, index: int, problems: Problems) -> None:
    """Every refusal of one line's figures, source and texts (the norm is checked when the
    lines are written)."""
    where = f"lines[{index}]"
    n = index + 1
    whole = True
    for name in ("quantity", "unit_price", "times"):
        value = getattr(line, name)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(_("Line %(n)s: enter a whole number.") % {"n": n}, f"{where}.{name}")
            whole = False
        elif value <= 0:
            problems.add(
                _("Line %(n)s: quantity, unit price and days must be greater than zero.")
                % {"n": n},
                f"{where}.{name}",
            )
            whole = False
    if whole:
        if line.quantity > 1_000_000 or line.times > 10_000 or line.unit_price > MAX_AMOUNT:
            problems.add(_("Line %(n)s: the figures are too large.") % {"n": n}, where)
        elif line.quantity * line.unit_price * line.times > MAX_AMOUNT:
            problems.add(_("Line %(n)s: the amount exceeds 10^15 đồng.") % {"n": n}, where)
    if line.source not in Source.values:
        problems.add(_("Line %(n)s: choose a funding source.") % {"n": n}, f"{where}.source")
    if not line.description or not line.unit_of_measure:
        problems.add(_("Line %(n)s: give a description and a unit.") % {"n": n}, where)


def _line_amount(line: LineInput, index: int, norm_ids: set[int]) -> int:
    problems = Problems()
    _line_figures(line, index, problems)
    problems.raise_any()
    if line.norm_id is not None and line.norm_id not in norm_ids:
        raise RuleViolation(
            _("Line %(n)s: unknown cost norm.") % {"n": index + 1}, field=f"lines[{index}].norm"
        )
    return line.quantity * line.unit_price * line.times


def _write_lines(estimate: Estimate, lines: Sequence[LineInput], *, new: bool = False) -> int:
    """Replace the estimate's lines; keep the ids of edited lines (the version diff
    matches lines by id). A fixed number of queries whatever the number of lines. Returns
    the new total."""
    wanted_norms = {line.norm_id for line in lines if line.norm_id is not None}
    norm_ids = (
        set(Norm.objects.filter(pk__in=wanted_norms).values_list("pk", flat=True))
        if wanted_norms
        else set()
    )
    problems = Problems()
    amounts = []
    for i, line in enumerate(lines):
        with problems.collect():
            amounts.append(_line_amount(line, i, norm_ids))
    problems.raise_any()
    total = sum(amounts)
    if total > MAX_AMOUNT:
        raise RuleViolation(_("The estimate's total exceeds 10^15 đồng."), field="lines")
    existing = {} if new else {line.pk: line for line in estimate.lines.all()}
    keep = {line.line_id for line in lines if line.line_id is not None}
    if not keep <= set(existing):
        raise RuleViolation(_("A cost line does not belong to this estimate."), field="lines")
    if set(existing) - keep:
        EstimateLine.objects.filter(pk__in=set(existing) - keep).delete()
    kept = [existing[pk] for pk in sorted(keep)]
    if kept:
        # Move kept lines out of the way so positions can be renumbered without clashes.
        for offset, row in enumerate(kept, start=1):
            row.position = 100_000 + offset
        rows_update(kept, ["position"])
    created: list[EstimateLine] = []
    for position, (line, amount) in enumerate(zip(lines, amounts, strict=True), start=1):
        row = (
            existing[line.line_id] if line.line_id is not None else EstimateLine(estimate=estimate)
        )
        for name, value in _line_values(line, position, amount).items():
            setattr(row, name, value)
        if line.line_id is None:
            created.append(row)
    if kept:
        rows_update(kept, LINE_FIELDS)
    if created:
        EstimateLine.objects.bulk_create(created)
    return total


def _line_values(line: LineInput, position: int, amount: int) -> dict[str, Any]:
    """What a draft's line holds as typed (appraisal and approval start again)."""
    return {
        "position": position,
        "description": line.description,
        "unit_of_measure": line.unit_of_measure,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "times": line.times,
        "source": line.source,
        "norm_id": line.norm_id,
        "amount": amount,
        "appraised_amount": None,
        "appraisal_note": "",
        "approved_amount": None,
    }


#: The columns ``_write_lines`` writes.
LINE_FIELDS = tuple(
    name.removesuffix("_id") for name in _line_values(LineInput("", "", 1, 1), 0, 0)
)


def _header_values(activity: Activity, data: EstimateInput) -> dict[str, Any]:
    """The estimate's own fields as typed (created or edited alike)."""
    return {
        "activity": activity,
        "content": activity.content,
        "title": data.title,
        "purpose": data.purpose,
        "participants_women": data.participants_women,
        "participants_girls": data.participants_girls,
        "participants_men": data.participants_men,
        "start_date": data.start_date,
        "end_date": data.end_date,
    }


def estimate_create(*, actor: Any, plan: Plan, unit: Unit, data: EstimateInput) -> Estimate:
    """A commune (or the district Women's Union, for district-level activities) starts a
    draft for its own unit. One unit of work, as every change of state (its statements
    prepared once run often enough on the connection)."""
    with unit_of_work():
        if unit.pk not in access.unit_ids_with(actor, perms.DRAFT):
            raise RuleViolation(_("You may draft estimates for your own unit only."), field="unit")
        level = plan.level_for_unit(unit)
        in_plan = (
            unit.pk == plan.area_id
            if unit.kind != UnitKind.COMMUNE
            else PlanCommune.objects.filter(plan=plan, commune=unit).exists()
        )
        if not in_plan:
            raise RuleViolation(
                _("%(unit)s is not in the area of plan %(plan)s.")
                % {"unit": unit, "plan": plan.number},
                field="unit",
            )
        if level is None:
            raise RuleViolation(
                _("Plan %(plan)s has no level that %(unit)s spends at.")
                % {"plan": plan.number, "unit": unit},
                field="unit",
            )
        data = _cleaned(data)
        activity, villages = _check_input(plan, unit, level, data)
        _lines_follow_register(None, activity, data.lines)
        _participants_follow_register(None, activity, data)
        estimate = Estimate.objects.create(
            plan=plan,
            number=f"tmp-{timezone.now().timestamp()}-{actor.pk}",
            level=level,
            unit=unit,
            **_header_values(activity, data),
            created_by=actor,
            status=S.DRAFT,
            status_changed_at=timezone.now(),
        )
        estimate.number = f"DT-{plan.year}-{estimate.pk:05d}"
        if villages:
            Estimate.villages.through.objects.bulk_create(
                [Estimate.villages.through(estimate=estimate, unit=v) for v in villages]
            )
        estimate.total_amount = _write_lines(estimate, data.lines, new=True)
        rows_update([estimate], ["number", "total_amount"])
        authority = access.authority_check(
            actor=actor, estimate=estimate, codename=perms.DRAFT, stage=Stage.DRAFT, earlier=set()
        )
        audit_record(
            action="estimate.created",
            actor=actor,
            role=authority.role,
            unit_name=authority.unit_name,
            estimate=estimate,
            stage=Stage.DRAFT,
            to_status=S.DRAFT,
            amount=estimate.total_amount,
        )
        engine.flow_start(estimate)
    return estimate


def estimate_update(*, actor: Any, estimate_id: int, data: EstimateInput) -> Estimate:
    """Edit a draft or a returned estimate (its drafting unit only)."""
    with transition("update", actor=actor, estimate_id=estimate_id) as step:
        estimate = step.estimate
        data = _cleaned(data)
        activity, villages = _check_input(estimate.plan, estimate.unit, estimate.level, data)
        _lines_follow_register(estimate, activity, data.lines)
        _participants_follow_register(estimate, activity, data)
        before = estimate.total_amount
        header = _header_values(activity, data)
        for name, value in header.items():
            setattr(estimate, name, value)
        estimate.villages.set(villages)
        estimate.total_amount = _write_lines(estimate, data.lines)
        step.finish(
            amount=estimate.total_amount,
            data={"total_before": before},
            fields=[*header, "total_amount", "updated_at"],
        )
    return estimate


def estimate_register_change(
    *,
    actor: Any,
    estimate_id: int,
    change: Callable[[Estimate], tuple[dict[str, Any], Sequence[str]]],
) -> Estimate:
    """Change what an estimate holds besides its header and lines (its beneficiary list,
    its participants per priority group) as an edit of the drafting unit: the ``update``
    row of the table (a draft or a returned estimate, the draft permission), the estimate
    locked. ``change(estimate)`` writes its rows and returns the audit entry's data (ids,
    never personal data) and the estimate's fields it set; then the lines are regenerated
    from the register when the activity keeps one."""
    with transition("update", actor=actor, estimate_id=estimate_id) as step:
        estimate = step.estimate
        data, fields = change(estimate)
        before = estimate.total_amount
        wanted = register_lines(estimate, estimate.activity)
        if wanted is not None:
            estimate.total_amount = _write_lines(estimate, wanted)
            fields = [*fields, "total_amount"]
        step.finish(
            amount=estimate.total_amount,
            data={"total_before": before, **data},
            fields=[*fields, "updated_at"],
        )
    return estimate


def _snapshot(estimate: Estimate, lines: list[EstimateLine]) -> dict[str, Any]:
    return {
        "title": estimate.title,
        "activity": estimate.activity_id,
        "start_date": estimate.start_date.isoformat(),
        "end_date": estimate.end_date.isoformat(),
        "participants": [
            estimate.participants_women,
            estimate.participants_girls,
            estimate.participants_men,
        ],
        "villages": sorted(estimate.villages.values_list("pk", flat=True)),
        "total_amount": estimate.total_amount,
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "description": line.description,
                "unit_of_measure": line.unit_of_measure,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "times": line.times,
                "source": line.source,
                "amount": line.amount,
            }
            for line in lines
        ],
    }


def estimate_submit(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """Submit a draft (or a revised estimate): freeze a numbered version and send it to the
    district Women's Union — or straight to appraisal for a district-level estimate."""
    with transition("submit", actor=actor, estimate_id=estimate_id, acting_for=acting_for) as step:
        estimate = step.estimate
        comment = step.comment(comment)
        lines = estimate_lines(estimate)
        if not lines:
            raise RuleViolation(_("Add at least one cost line before submitting."), field="lines")
        estimate.version += 1
        estimate.submitted_by = actor
        EstimateVersion.objects.create(
            estimate=estimate,
            number=estimate.version,
            snapshot=_snapshot(estimate, lines),
            total_amount=estimate.total_amount,
            created_by=actor,
        )
        step.finish(
            comment=comment,
            amount=estimate.total_amount,
            data={"version": estimate.version},
            fields=["version", "submitted_by"],
        )
    return estimate


def estimate_withdraw(
    *, actor: Any, estimate_id: int, reason: str, acting_for: Any = None
) -> Estimate:
    """The drafting unit withdraws an estimate that is not yet approved."""
    with transition(
        "withdraw", actor=actor, estimate_id=estimate_id, acting_for=acting_for
    ) as step:
        estimate = step.estimate
        reason = step.comment(reason, what=_("for withdrawing the estimate"))
        if estimate.status == S.APPROVAL:
            ledger.ledger_release(estimate=estimate, actor=actor)
        released = register_release(estimate)
        step.finish(comment=reason, amount=estimate.total_amount, data=released or None)
    return estimate
