"""Apply a reorganisation of units: check it against the database, say what would move,
and move it — atomically (all or nothing) and idempotently (a reorganisation already
applied from the same file changes nothing).

What moves, on the effective date:

- each abolished unit gets its successor and validity (``Unit.successor``,
  ``abolished_on``); it is no longer active; its villages go to the successor;
- estimates in flight (any status but closed and withdrawn) move to the successor with
  their history, versions and money: the estimate keeps its number, lines, versions, audit
  trail, ledger entries and disbursements; only its unit changes. The commune's
  sub-envelopes are handed to the successor (``ledger.services.subenvelopes_merge``) and
  its carried-over tranches too (``ledger.services.tranches_move``); the ledger still
  reconciles to the đồng. Closed and withdrawn estimates stay under their historical unit
  and roll up to the successor in reports (``organization.selectors.successor_map``);
- people of an abolished unit hold the same role in its successor (``staff: move``), or
  stop (``staff: end``); the permission grants are recomputed (``access_sync``);
- each move is audited (``estimate.transferred``, ``unit.succeeded``,
  ``membership.moved``), and the successor's officers who act on a moved estimate are
  told (an outbox event, published after commit).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from approvals import lifecycle
from approvals.audit import audit_record
from approvals.services.decisions import decision_issuer_save
from core.money import format_vnd
from core.transactions import unit_of_work
from delegations.models import Delegation
from estimates.models import Estimate, Plan, PlanCommune
from ledger.models import SubEnvelope, Tranche
from ledger.services import subenvelopes_merge, tranches_move
from notifications.services import transfer_emit
from organization.models import Membership, Unit, UnitKind
from organization.permissions import access_sync
from workflows.engine import task_release

from .file import (
    COMMUNE_AGENCIES,
    Move,
    NewIssuer,
    NewUnit,
    ReorganisationFileError,
    ReorganisationSpec,
    reorganisation_file_read,
    unit_kind_ok,
)
from .models import EstimateMove, MoveKind, Reorganisation, UnitMove

#: The units whose People's Committee issues approval decisions.
ISSUING_KINDS = (UnitKind.COMMUNE, UnitKind.DISTRICT, UnitKind.PROVINCE)


def _date(day: Any) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


@dataclass
class PlannedMove:
    old: Unit
    successor: str  # code (the successor may not exist yet)
    kind: str
    staff: bool
    line: int | None
    field: str


@dataclass
class ReorganisationPlan:
    """What applying the file would do: read only, printed by the dry run."""

    spec: ReorganisationSpec
    already_applied: Reorganisation | None = None
    new_units: list[NewUnit] = field(default_factory=list)
    moves: list[PlannedMove] = field(default_factory=list)
    estimates: list[tuple[Estimate, str]] = field(default_factory=list)  # (estimate, to)
    memberships: list[tuple[Membership, str]] = field(default_factory=list)  # (m, to or "")
    shares: list[tuple[SubEnvelope, str]] = field(default_factory=list)
    tranches: list[tuple[Tranche, str]] = field(default_factory=list)
    villages: list[tuple[Unit, str]] = field(default_factory=list)
    issuers: list[NewIssuer] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The plan in words, one line per thing that would move."""
        spec = self.spec
        if self.already_applied is not None:
            return [
                _("Reorganisation %(code)s was applied on %(date)s: nothing to do.")
                % {"code": spec.code, "date": _date(self.already_applied.applied_at)}
            ]
        out = [
            _("Reorganisation %(code)s, effective %(date)s%(example)s")
            % {
                "code": spec.code,
                "date": _date(spec.effective_on),
                "example": _(" (illustrative)") if spec.illustrative else "",
            }
        ]
        out += [
            _("create unit %(code)s “%(name)s”") % {"code": u.code, "name": u.name}
            for u in self.new_units
        ]
        out += [
            _("unit %(old)s → %(new)s (%(kind)s)")
            % {"old": m.old.code, "new": m.successor, "kind": MoveKind(m.kind).label}
            for m in self.moves
        ]
        out += [
            _("estimate %(number)s (%(status)s, %(amount)s) %(old)s → %(new)s")
            % {
                "number": e.number,
                "status": e.get_status_display(),
                "amount": format_vnd(
                    e.approved_amount if e.approved_amount is not None else e.total_amount
                ),
                "old": e.unit.code,
                "new": to,
            }
            for e, to in self.estimates
        ]
        out += [
            (
                _("membership %(user)s · %(role)s: %(old)s → %(new)s")
                if to
                else _("membership %(user)s · %(role)s in %(old)s ends")
            )
            % {
                "user": m.user.get_username(),
                "role": m.get_role_display(),
                "old": m.unit.code,
                "new": to,
            }
            for m, to in self.memberships
        ]
        out += [
            _("share of %(old)s in %(cell)s (%(amount)s) → %(new)s")
            % {"old": s.commune.code, "cell": s.cell, "amount": format_vnd(s.amount), "new": to}
            for s, to in self.shares
        ]
        out += [
            _("carried-over tranche %(pk)s (%(amount)s, usable until %(date)s) → %(new)s")
            % {"pk": t.pk, "amount": format_vnd(t.amount), "date": _date(t.use_by), "new": to}
            for t, to in self.tranches
        ]
        if self.villages:
            out.append(_("%(n)s villages move to their new commune") % {"n": len(self.villages)})
        out += [
            _("decisions of %(code)s issued by “%(name)s”")
            % {"code": i.unit, "name": i.entry["name"]}
            for i in self.issuers
        ]
        return out


def _fail(
    move: Move | PlannedMove | NewUnit | NewIssuer, message: str, field_name: str = ""
) -> ReorganisationFileError:
    name = field_name or getattr(move, "field", "") or "units"
    return ReorganisationFileError(message, field=name, line=move.line)


def reorganisation_plan(spec: ReorganisationSpec) -> ReorganisationPlan:
    """Check the file against the database and list what would move; writes nothing."""
    plan = ReorganisationPlan(spec=spec)
    applied = Reorganisation.objects.filter(code=spec.code).first()
    if applied is not None:
        if applied.file_sha256 != spec.sha256:
            raise ReorganisationFileError(
                _(
                    "a different reorganisation with this code was applied on %(date)s; "
                    "give a changed file a new code"
                )
                % {"date": _date(applied.applied_at)},
                field="reorganisation.code",
            )
        plan.already_applied = applied
        return plan
    effective = spec.effective_on
    codes = (
        {u.code for u in spec.units}
        | {m.old for m in spec.moves}
        | {m.successor for m in spec.moves}
    )
    codes |= {u.parent for u in spec.units} | {i.unit for i in spec.issuers}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    new: dict[str, tuple[str, str]] = {}  # code -> (kind, agency type) of units the file makes
    abolished = {m.old for m in spec.moves}
    for u in spec.units:
        if u.code in units:
            have = units[u.code]
            if (have.kind, have.agency_type) != (u.kind, u.agency_type):
                raise _fail(
                    u,
                    _("unit “%(code)s” exists already as another kind of unit") % {"code": u.code},
                    "units.code",
                )
            continue
        if u.parent not in units and u.parent not in new:
            raise _fail(u, _("unknown unit “%(code)s”") % {"code": u.parent}, "units.parent")
        parent = units.get(u.parent)
        if u.parent in abolished or (parent is not None and parent.abolished_on is not None):
            raise _fail(
                u,
                _("the parent “%(code)s” does not exist after the reorganisation")
                % {"code": u.parent},
                "units.parent",
            )
        plan.new_units.append(u)
        new[u.code] = (u.kind, u.agency_type)
        if u.kind == UnitKind.COMMUNE:
            for commune_agency, suffix in COMMUNE_AGENCIES:
                new.setdefault(f"{u.code}.{suffix}", (UnitKind.AGENCY, str(commune_agency)))
    moved_on = {
        m.unit_id: m.reorganisation
        for m in UnitMove.objects.filter(unit__code__in=codes).select_related("reorganisation")
    }
    explicit: set[str] = set()
    for move in spec.moves:
        old = units.get(move.old)
        if old is None:
            raise _fail(move, _("unknown unit “%(code)s”") % {"code": move.old})
        if move.successor not in units and move.successor not in new:
            raise _fail(move, _("unknown unit “%(code)s”") % {"code": move.successor})
        _check_dates(move, old, effective, moved_on)
        successor = units.get(move.successor)
        if successor is not None:
            _check_successor(move, successor, effective, moved_on)
            kind, agency_type = successor.kind, successor.agency_type
        else:
            kind, agency_type = new[move.successor]
        if not unit_kind_ok(old, kind, agency_type):
            raise _fail(
                move,
                _("“%(old)s” (%(kind)s) cannot be succeeded by “%(new)s” (%(new_kind)s)")
                % {
                    "old": old.code,
                    "kind": old.get_agency_type_display()
                    if old.agency_type
                    else old.get_kind_display(),
                    "new": move.successor,
                    "new_kind": UnitKind(kind).label,
                },
            )
        explicit.add(old.code)
        plan.moves.append(
            PlannedMove(old, move.successor, move.kind, move.staff, move.line, move.field)
        )
    # The agencies of a territory follow it to the successor's agency of the same type.
    territorial = [m for m in plan.moves if m.old.kind != UnitKind.AGENCY]
    agencies = Unit.objects.filter(
        parent__in=[m.old for m in territorial], kind=UnitKind.AGENCY, successor__isnull=True
    ).order_by("code")
    successor_agencies = {
        (u.parent.code if u.parent else "", u.agency_type): u.code
        for u in Unit.objects.filter(
            parent__code__in=[m.successor for m in territorial],
            kind=UnitKind.AGENCY,
            is_active=True,
        ).select_related("parent")
    }
    for u in spec.units:
        if u.kind == UnitKind.AGENCY:
            successor_agencies.setdefault((u.parent, u.agency_type), u.code)
        if u.kind == UnitKind.COMMUNE:
            for agency_type, suffix in COMMUNE_AGENCIES:
                successor_agencies.setdefault((u.code, agency_type), f"{u.code}.{suffix}")
    by_old = {m.old.pk: m for m in territorial}
    for agency in agencies:
        if agency.code in explicit:
            continue
        owner = by_old[int(agency.parent_id or 0)]
        target = successor_agencies.get((owner.successor, agency.agency_type))
        if target is None:
            raise _fail(
                owner,
                _(
                    "“%(agency)s” has no successor: “%(new)s” has no %(type)s; name one in "
                    "“agencies” or create it in “units”"
                )
                % {
                    "agency": agency.code,
                    "new": owner.successor,
                    "type": agency.get_agency_type_display(),
                },
            )
        plan.moves.append(
            PlannedMove(agency, target, MoveKind.AGENCY, owner.staff, owner.line, owner.field)
        )
    for issuer in spec.issuers:
        existing = units.get(issuer.unit)
        kind = existing.kind if existing is not None else new.get(issuer.unit, ("", ""))[0]
        if not kind:
            raise _fail(
                issuer, _("unknown unit “%(code)s”") % {"code": issuer.unit}, "issuers.unit"
            )
        if issuer.unit in abolished or (existing is not None and existing.abolished_on):
            raise _fail(
                issuer,
                _("“%(code)s” does not exist after the reorganisation: it issues nothing")
                % {"code": issuer.unit},
                "issuers.unit",
            )
        if kind not in ISSUING_KINDS:
            raise _fail(
                issuer,
                _(
                    "“%(code)s” is not a commune, district or province: only their "
                    "People's Committees issue decisions"
                )
                % {"code": issuer.unit},
                "issuers.unit",
            )
        plan.issuers.append(issuer)
    target_of = {m.old.pk: m.successor for m in plan.moves}
    staff_of = {m.old.pk: m.staff for m in plan.moves}
    final = set(lifecycle.FINAL_STATUSES)
    plan.estimates = [
        (e, target_of[e.unit_id])
        for e in Estimate.objects.filter(unit_id__in=target_of)
        .exclude(status__in=final)
        .select_related("unit")
        .order_by("pk")
    ]
    plan.memberships = [
        (m, target_of[m.unit_id] if staff_of[m.unit_id] else "")
        for m in Membership.objects.filter(unit_id__in=target_of, is_active=True)
        .select_related("user", "unit")
        .order_by("unit__code", "pk")
    ]
    plan.shares = [
        (s, target_of[s.commune_id])
        for s in SubEnvelope.objects.filter(commune_id__in=target_of)
        .select_related("cell__plan", "commune")
        .order_by("cell", "commune__code")
    ]
    plan.tranches = [
        (t, target_of[int(t.commune_id or 0)])
        for t in Tranche.objects.filter(commune_id__in=target_of)
        .select_related("commune")
        .order_by("pk")
    ]
    plan.villages = [
        (v, target_of[int(v.parent_id or 0)])
        for v in Unit.objects.filter(parent_id__in=target_of, kind=UnitKind.VILLAGE).order_by(
            "code"
        )
    ]
    return plan


def _check_dates(
    move: Move, old: Unit, effective: Any, moved_on: dict[int, Reorganisation]
) -> None:
    if old.abolished_on is None:
        if old.established_on is not None and old.established_on >= effective:
            raise _fail(
                move,
                _("“%(code)s” was established on %(date)s, not before the effective date")
                % {"code": old.code, "date": _date(old.established_on)},
            )
        return
    by = moved_on.get(old.pk)
    values = {
        "code": old.code,
        "date": _date(old.abolished_on),
        "by": by.code if by else "",
        "effective": _date(effective),
    }
    if old.abolished_on == effective:
        raise _fail(move, _("“%(code)s” is merged twice on %(date)s (already by %(by)s)") % values)
    if old.abolished_on > effective:
        raise _fail(
            move,
            _(
                "the effective date %(effective)s is before %(date)s, when the work of "
                "“%(code)s” already moved (%(by)s)"
            )
            % values,
            "reorganisation.effective_on",
        )
    raise _fail(
        move,
        _("“%(code)s” was abolished on %(date)s (%(by)s); name the unit that carries its work now")
        % values,
    )


def _check_successor(
    move: Move, successor: Unit, effective: Any, moved_on: dict[int, Reorganisation]
) -> None:
    if successor.abolished_on is not None:
        by = moved_on.get(successor.pk)
        if successor.abolished_on > effective:
            message = _(
                "the effective date %(effective)s is before %(date)s, when the work of "
                "“%(code)s” already moved (%(by)s)"
            )
        else:
            message = _(
                "the successor “%(code)s” no longer exists on %(effective)s "
                "(abolished %(date)s by %(by)s)"
            )
        raise _fail(
            move,
            message
            % {
                "code": successor.code,
                "date": _date(successor.abolished_on),
                "by": by.code if by else "",
                "effective": _date(effective),
            },
        )
    if successor.established_on is not None and successor.established_on > effective:
        raise _fail(
            move,
            _("the successor “%(code)s” is only established on %(date)s")
            % {"code": successor.code, "date": _date(successor.established_on)},
        )


# ---------------------------------------------------------------------------------------
# Applying.


def reorganisation_apply(
    *, spec: ReorganisationSpec, actor: User | None = None, dry_run: bool = False
) -> ReorganisationPlan:
    """Apply the checked file in one transaction; with ``dry_run`` only say what would
    move. Applying a file already applied changes nothing."""
    plan = reorganisation_plan(spec)
    if dry_run or plan.already_applied is not None:
        return plan
    with unit_of_work():
        # Re-read under locks: the units and estimates named, in primary-key order.
        list(
            Unit.objects.select_for_update()
            .filter(pk__in=[m.old.pk for m in plan.moves])
            .order_by("pk")
        )
        plan = reorganisation_plan(spec)
        if plan.already_applied is not None:
            return plan
        _write(plan, actor)
    return plan


def _write(plan: ReorganisationPlan, actor: User | None) -> None:
    spec = plan.spec
    effective = spec.effective_on
    record = Reorganisation.objects.create(
        code=spec.code,
        title=spec.title,
        basis=spec.basis,
        effective_on=effective,
        illustrative=spec.illustrative,
        file_sha256=spec.sha256,
        applied_by=actor,
    )
    units: dict[str, Unit] = {}

    def unit(code: str) -> Unit:
        if code not in units:
            units[code] = Unit.objects.get(code=code)
        return units[code]

    for u in plan.new_units:
        created = Unit.objects.create(
            code=u.code,
            name=u.name,
            kind=u.kind,
            agency_type=u.agency_type,
            parent=unit(u.parent),
            established_on=effective,
        )
        units[u.code] = created
        if u.kind == UnitKind.COMMUNE:
            for agency_type, suffix in COMMUNE_AGENCIES:
                code = f"{u.code}.{suffix}"
                if not Unit.objects.filter(code=code).exists():
                    label = (
                        _("Women's Union of %(name)s")
                        if suffix == "hlhpn"
                        else _("People's Committee of %(name)s")
                    )
                    units[code] = Unit.objects.create(
                        code=code,
                        name=label % {"name": u.name},
                        kind=UnitKind.AGENCY,
                        agency_type=agency_type,
                        parent=created,
                        established_on=effective,
                    )
    successors: dict[int, Unit] = {}
    for m in plan.moves:
        successor = unit(m.successor)
        successors[m.old.pk] = successor
        Unit.objects.filter(pk=m.old.pk).update(
            successor=successor, abolished_on=effective, is_active=False
        )
        UnitMove.objects.create(
            reorganisation=record,
            unit=m.old,
            successor=successor,
            kind=m.kind,
            staff_moved=m.staff,
            line=m.line,
        )
        audit_record(
            action="unit.succeeded",
            actor=actor,
            unit_name=successor.name,
            comment=spec.title,
            data={
                "reorganisation": spec.code,
                "effective_on": effective.isoformat(),
                "unit": m.old.code,
                "successor": successor.code,
                "kind": m.kind,
            },
        )
    for village, to in plan.villages:
        Unit.objects.filter(pk=village.pk).update(parent=unit(to))
    # The bodies issuing the successors' decisions, each with its own register of numbers.
    for issuer in plan.issuers:
        decision_issuer_save(unit(issuer.unit), issuer.entry)
    # The communes in each plan: a successor takes its predecessors' place and villages.
    commune_moves = {old: new for old, new in successors.items() if new.kind == UnitKind.COMMUNE}
    _plan_communes(commune_moves)
    # Money: the shares and tranches of abolished communes go to their successors.
    share_moves: list[dict[str, Any]] = []
    for plan_id in sorted(
        set(
            PlanCommune.objects.filter(commune_id__in=commune_moves).values_list(
                "plan_id", flat=True
            )
        )
    ):
        share_moves += subenvelopes_merge(
            plan=Plan.objects.get(pk=plan_id), successors=commune_moves, actor=actor
        )
    moved_tranches = tranches_move(successors=commune_moves)
    # People: the same role in the successor, or their membership there ends.
    for membership, to in plan.memberships:
        if to:
            target = unit(to)
            kept, _created = Membership.objects.get_or_create(
                user=membership.user,
                unit=target,
                role=membership.role,
                defaults={"is_head": membership.is_head},
            )
            if not kept.is_active:
                kept.is_active = True
                kept.save(update_fields=["is_active"])
            # Delegations of the role still running go on in the successor (they end on
            # their own when the delegate's role did not move with it).
            Delegation.objects.filter(
                membership=membership, revoked_at__isnull=True, ends_on__gte=effective
            ).update(membership=kept)
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        audit_record(
            action="membership.moved" if to else "membership.ended",
            actor=actor,
            role=membership.role,
            unit_name=unit(to).name if to else membership.unit.name,
            data={
                "reorganisation": spec.code,
                "user": membership.user_id,
                "from": membership.unit.code,
                "to": to,
            },
        )
    access_sync()
    # Estimates in flight: locked, moved with everything they hold, audited, announced.
    ids = [e.pk for e, _to in plan.estimates]
    locked = {
        e.pk: e
        for e in Estimate.objects.select_for_update()
        .filter(pk__in=ids)
        .select_related("unit")
        .order_by("pk")
    }
    for estimate, to in plan.estimates:
        current = locked[estimate.pk]
        target = unit(to)
        old = current.unit
        Estimate.objects.filter(pk=current.pk).update(unit=target)
        current.unit = target
        EstimateMove.objects.create(
            reorganisation=record,
            estimate=current,
            from_unit=old,
            to_unit=target,
            status=current.status,
        )
        data = {
            "reorganisation": spec.code,
            "effective_on": effective.isoformat(),
            "from": old.code,
            "to": target.code,
            "version": current.version,
        }
        audit_record(
            action="estimate.transferred",
            actor=actor,
            estimate=current,
            unit_name=target.name,
            from_status=current.status,
            to_status=current.status,
            amount=current.approved_amount
            if current.approved_amount is not None
            else current.total_amount,
            comment=spec.title,
            data=data,
        )
        task_release(current)  # its task waits in the successor's inbox
        transfer_emit(estimate=current, actor=actor, data=data)
    record.summary = {
        "units": len(plan.moves),
        "new_units": [u.code for u in plan.new_units],
        "estimates": len(plan.estimates),
        "memberships": len(plan.memberships),
        "shares": share_moves,
        "tranches": [list(t) for t in moved_tranches],
        "villages": len(plan.villages),
        "issuers": [i.unit for i in plan.issuers],
    }
    record.save(update_fields=["summary"])
    audit_record(
        action="reorganisation.applied",
        actor=actor,
        comment=spec.title,
        data={"reorganisation": spec.code, "effective_on": effective.isoformat(), **record.summary},
    )


def _plan_communes(moves: dict[int, Unit]) -> None:
    """In each plan listing an abolished commune, its successor is listed too (placed at
    the first predecessor, with their villages counted)."""
    if not moves:
        return
    rows = PlanCommune.objects.filter(commune_id__in=moves).values(
        "plan_id", "commune_id", "village_count", "sort_order"
    )
    wanted: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 10**6])
    for row in rows:
        key = (row["plan_id"], moves[row["commune_id"]].pk)
        wanted[key][0] += row["village_count"]
        wanted[key][1] = min(wanted[key][1], row["sort_order"])
    for (plan_id, commune_id), (villages, order) in sorted(wanted.items()):
        existing = PlanCommune.objects.filter(plan_id=plan_id, commune_id=commune_id).first()
        if existing is None:
            PlanCommune.objects.create(
                plan_id=plan_id, commune_id=commune_id, village_count=villages, sort_order=order
            )
        else:
            existing.village_count += villages
            existing.save(update_fields=["village_count"])


def reorganisation_apply_file(
    path: Path, *, actor: User | None = None, dry_run: bool = False
) -> ReorganisationPlan:
    return reorganisation_apply(spec=reorganisation_file_read(path), actor=actor, dry_run=dry_run)


__all__ = [
    "ReorganisationFileError",
    "ReorganisationPlan",
    "reorganisation_apply",
    "reorganisation_apply_file",
    "reorganisation_plan",
]
