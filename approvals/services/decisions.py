"""The approval decision: a number from the issuer's register and a frozen snapshot of
everything the document prints, given inside the approval's transaction.

Numbers never skip or repeat: the register row of (issuer, year) is incremented by one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, which takes the row's lock until
the approval commits (a concurrent approval waits for it, as ``select_for_update`` would,
in one query instead of three); an approval that fails rolls the increment back with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.words import amount_in_words
from estimates.models import Actor, Amendment, Estimate, EstimateLine, Source
from organization.models import Unit

from ..access import Authority
from ..models import Decision, DecisionIssuer, DecisionRegister

#: Decisions are dated where they are signed.
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ISSUERS_FILE = Path(__file__).resolve().parent.parent / "data" / "decision_issuers.yaml"


#: The issuers an estimate's decision may come from, as paths from the estimate: read with
#: the estimate's row lock (``transition(..., related=ISSUER_PATHS)``): the commune's own,
#: the plan's area's, and that of the unit succeeding the area after a reorganisation.
ISSUER_PATHS = (
    "unit__decision_issuer",
    "plan__area__decision_issuer",
    "plan__area__successor__decision_issuer",
)


def issuing_unit(estimate: Estimate) -> Unit:
    """The unit whose body issues the estimate's decision: the one that approves at the
    estimate's level of its plan (``Plan.levels``). Where the level has the commune
    approve (the commune as the spending unit), the commune; else the plan's area, or,
    once a reorganisation has abolished it, the unit carrying its work today (its
    successor, to the end of the chain). No query when read with ``ISSUER_PATHS``, unless
    the successor was itself succeeded."""
    spec = estimate.plan.level_spec(estimate.level)
    if spec.actor("approve") == Actor.COMMUNE:
        return estimate.unit
    unit: Unit = estimate.plan.area
    seen = {unit.pk}
    while unit.successor_id is not None and unit.successor_id not in seen:
        seen.add(unit.successor_id)
        successor = unit.successor
        if successor is None:  # never: the foreign key holds
            break
        unit = successor
    return unit


def decision_issuer_for(estimate: Estimate) -> DecisionIssuer:
    """The issuer of the unit that approves at the estimate's plan level (``issuing_unit``);
    no query when read with the estimate, else at most a few."""
    unit = issuing_unit(estimate)
    if Unit.decision_issuer.is_cached(unit):
        issuer: DecisionIssuer | None = getattr(unit, "decision_issuer", None)
    else:
        issuer = DecisionIssuer.objects.filter(unit=unit).first()
    if issuer is None:
        raise _no_issuer(unit)
    return issuer


def _no_issuer(unit: Unit) -> RuleViolation:
    return RuleViolation(
        _(
            "No body is set up to issue the decisions of %(unit)s: an administrator must "
            "add its decision issuer before this estimate can be approved."
        )
        % {"unit": unit.name}
    )


def _register_next(issuer: DecisionIssuer, year: int) -> int:
    table = DecisionRegister._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (issuer_id, year, last_number) VALUES (%s, %s, 1) "  # noqa: S608 - table name from the model
            f"ON CONFLICT (issuer_id, year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [issuer.pk, year],
        )
        (number,) = cursor.fetchone() or (0,)
    return int(number)


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _source_labels(estimate: Estimate) -> dict[str, str]:
    plan = estimate.plan
    with translation.override("vi"):
        defaults = {value: str(label) for value, label in Source.choices}
    return {
        Source.CURRENT: plan.current_source_label or defaults[Source.CURRENT],
        Source.CARRIED: plan.carried_source_label or defaults[Source.CARRIED],
    }


def decision_issue(
    *,
    estimate: Estimate,
    lines: Sequence[EstimateLine],
    authority: Authority,
    amendment: Amendment | None = None,
) -> Decision:
    """Give the approved estimate its number and freeze its decision. Called by
    ``estimate_approve`` inside the approval's transaction, after the amounts are set.
    With ``amendment`` (called by ``amendment_approve``): the amendment's own decision
    (Quyết định điều chỉnh dự toán), numbered from the same register, citing the
    estimate's decision, which stays as it was issued."""
    issuer = decision_issuer_for(estimate)
    issued_at = timezone.now()
    issued_on = issued_at.astimezone(LOCAL_ZONE).date()
    number = _register_next(issuer, issued_on.year)
    symbol = f"{number}/{issuer.symbol_suffix}"
    labels = _source_labels(estimate)
    plan = estimate.plan
    unit: Unit = estimate.unit
    total = sum(line.approved_amount or 0 for line in lines)
    sources = []
    for source in Source.values:
        amount = sum(line.approved_amount or 0 for line in lines if line.source == source)
        if amount:
            sources.append(
                {
                    "source": source,
                    "label": labels[source],
                    "amount": amount,
                    "words": amount_in_words(amount),
                }
            )
    delegated = authority.acting_for is not None
    snapshot = {
        "version": 1,
        "number": number,
        "year": issued_on.year,
        "symbol": symbol,
        "issued_on": issued_on.isoformat(),
        "issued_at": issued_at.isoformat(),
        "issuer": {
            "name": issuer.name,
            "governing_body": issuer.governing_body,
            "place": issuer.place,
            "executors": issuer.executors,
            "recipients": list(issuer.recipients),
        },
        "plan": {
            "number": plan.number,
            "issued_on": plan.issued_on.isoformat(),
            "issuer": plan.issuer.name,
            "title": plan.title,
            "programme": plan.programme,
            "project": plan.project,
        },
        "estimate": {
            "id": estimate.pk,
            "number": estimate.number,
            "title": estimate.title,
            "purpose": estimate.purpose,
            "unit": unit.name,
            "content": f"{estimate.content.code}. {estimate.content.title}",
            "activity": f"{estimate.activity.code}. {estimate.activity.title}",
            "start_date": estimate.start_date.isoformat(),
            "end_date": estimate.end_date.isoformat(),
        },
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "unit_of_measure": line.unit_of_measure,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "times": line.times,
                "source": labels[line.source],
                "requested": line.amount,
                "approved": line.approved_amount or 0,
            }
            for line in lines
        ],
        "sources": sources,
        "total": total,
        "total_words": amount_in_words(total),
        "signer": {
            "capacity": list(issuer.delegate_capacity if delegated else issuer.signer_capacity),
            "name": _person(authority.actor),
            "acting_for": _person(authority.acting_for),
        },
    }
    if amendment is not None:
        original = Decision.objects.filter(estimate=estimate).first()
        snapshot["amendment"] = {
            "number": amendment.number,
            "reason": amendment.reason,
            "previous_total": amendment.previous_total,
            "previous_start_date": amendment.previous_start_date.isoformat(),
            "previous_end_date": amendment.previous_end_date.isoformat(),
            "original_symbol": original.symbol if original else "",
            "original_issued_on": original.issued_on.isoformat() if original else "",
        }
    return Decision.objects.create(
        estimate=None if amendment is not None else estimate,
        amendment=amendment,
        issuer=issuer,
        year=issued_on.year,
        number=number,
        symbol=symbol,
        issued_on=issued_on,
        issued_at=issued_at,
        amount=total,
        snapshot=snapshot,
    )


#: The fields of an issuer in a data file (``decision_issuers.yaml``, or a reorganisation
#: file's ``issuers``), besides ``unit``.
ISSUER_FIELDS = (
    "name",
    "governing_body",
    "place",
    "symbol_suffix",
    "signer_capacity",
    "delegate_capacity",
    "executors",
    "recipients",
)


def decision_issuer_save(unit: Unit, entry: dict[str, Any]) -> DecisionIssuer:
    """Create or update ``unit``'s issuer from a data file's entry. Its register of numbers
    is its own (per issuer and year): decisions already issued keep their frozen text."""
    issuer, _created = DecisionIssuer.objects.update_or_create(
        unit=unit,
        defaults={
            "name": entry["name"],
            "governing_body": entry.get("governing_body", ""),
            "place": entry["place"],
            "symbol_suffix": entry.get("symbol_suffix", "QĐ-UBND"),
            "signer_capacity": list(entry.get("signer_capacity", [])),
            "delegate_capacity": list(entry.get("delegate_capacity", [])),
            "executors": " ".join(str(entry.get("executors", "")).split()),
            "recipients": list(entry.get("recipients", [])),
        },
    )
    return issuer


def decision_issuers_load(path: Path = ISSUERS_FILE) -> int:
    """Create or update the issuers of the data file whose units exist; returns how many."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    count = 0
    for entry in data.get("issuers", []):
        unit = Unit.objects.filter(code=entry["unit"]).first()
        if unit is None:
            continue
        decision_issuer_save(unit, entry)
        count += 1
    return count
