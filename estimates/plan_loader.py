"""Read, check and load a plan data file (YAML or JSON) with its organisation and envelope.

The whole file is checked before anything is written; every refusal names the field and
the line. Loading is atomic and idempotent: a second run of the same file changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from core.datafile import DataFileError, LineMap, data_file_read
from core.errors import RuleViolation
from core.money import MAX_AMOUNT
from core.text import text_clean
from organization.models import AgencyType, Unit, UnitKind

from .models import (
    DEFAULT_LEVELS,
    STAGES,
    Activity,
    Actor,
    Content,
    EnvelopeCell,
    Level,
    Plan,
    PlanCommune,
    Scope,
    Source,
)

M = TypeVar("M", bound=Model)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class PlanFileError(DataFileError):
    """A plan file that cannot be loaded: says which field, on which line, and why."""


def read_plan_file(path: Path) -> LineMap:
    """Parse YAML or JSON (JSON is read by the same line-aware parser)."""
    data, _raw = data_file_read(path, PlanFileError)
    if not isinstance(data, LineMap):
        raise PlanFileError(_("the file must hold a mapping with “organization” and “plan”"))
    return data


# ---------------------------------------------------------------------------------------
# Checking: turn the raw mapping into typed specs, or refuse with field and line.


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent: str | None
    agency_type: str = ""
    sort_order: int = 0


@dataclass(frozen=True)
class CommuneSpec:
    code: str
    name: str
    villages: int
    sort_order: int


@dataclass(frozen=True)
class ActivitySpec:
    code: str
    title: str
    levels: str
    sort_order: int


@dataclass(frozen=True)
class ContentSpec:
    code: str
    title: str
    sort_order: int
    activities: tuple[ActivitySpec, ...]


@dataclass(frozen=True)
class CellSpec:
    level: str
    source: str
    amount: int


@dataclass(frozen=True)
class CarryOverSpec:
    """Where this plan's carried-over cells come from: an earlier plan, and which of this
    plan's levels each of its levels carries into."""

    plan_number: str
    levels: dict[str, str]


@dataclass
class PlanSpec:
    units: list[UnitSpec] = field(default_factory=list)
    communes_parent: str = ""
    communes: list[CommuneSpec] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    cells: list[CellSpec] = field(default_factory=list)
    contents: list[ContentSpec] = field(default_factory=list)
    levels: list[dict[str, str]] = field(default_factory=list)
    carry_over: CarryOverSpec | None = None


class _Reader:
    """Typed access to one mapping of the file, with errors that name field and line."""

    def __init__(self, mapping: Any, path: str, line: int | None = None) -> None:
        if not isinstance(mapping, LineMap):
            raise PlanFileError(_("must be a mapping"), field=path, line=line)
        self.m = mapping
        self.path = path

    def line(self, key: str) -> int:
        return self.m.key_lines.get(key, self.m.line)

    def fail(self, key: str, message: str) -> PlanFileError:
        return PlanFileError(
            message, field=f"{self.path}.{key}" if self.path else key, line=self.line(key)
        )

    def has(self, key: str) -> bool:
        return key in self.m

    def text(self, key: str, *, required: bool = True, max_length: int = 1000) -> str:
        value = self.m.get(key)
        if value is None:
            if required:
                raise self.fail(key, _("this field is required"))
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.fail(key, _("must be text"))
        value = " ".join(str(value).split())
        try:  # NFC, and no control or invisible characters; the length is checked below
            value = text_clean(value, field=key, max_length=None)
        except RuleViolation as exc:
            raise self.fail(key, exc.message) from None
        if required and not value:
            raise self.fail(key, _("must not be empty"))
        if len(value) > max_length:
            raise self.fail(key, _("is longer than %(n)s characters") % {"n": max_length})
        return value

    def code(self, key: str) -> str:
        value = self.text(key, max_length=120)
        if not _SLUG.match(value):
            raise self.fail(
                key, _("“%(v)s” is not a valid code (a-z, 0-9, “.”, “-”)") % {"v": value}
            )
        return value

    def choice(self, key: str, choices: list[str]) -> str:
        value = self.text(key)
        if value not in choices:
            raise self.fail(
                key, _("“%(v)s” is not one of: %(c)s") % {"v": value, "c": ", ".join(choices)}
            )
        return value

    def integer(self, key: str, *, minimum: int = 0, maximum: int = MAX_AMOUNT) -> int:
        value = self.m.get(key)
        if value is None:
            raise self.fail(key, _("this field is required"))
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, _("must be a whole number, got “%(v)s”") % {"v": value})
        if value < minimum:
            if minimum == 0:
                raise self.fail(key, _("must not be negative"))
            raise self.fail(key, _("must be at least %(n)s") % {"n": minimum})
        if value > maximum:
            raise self.fail(key, _("must not exceed %(n)s") % {"n": maximum})
        return value

    def date(self, key: str, *, required: bool = True) -> dt.date | None:
        value = self.m.get(key)
        if value is None:
            if required:
                raise self.fail(key, _("this field is required"))
            return None
        if isinstance(value, dt.datetime):
            raise self.fail(key, _("must be a date (YYYY-MM-DD)"))
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, _("“%(v)s” is not a date (YYYY-MM-DD)") % {"v": value}) from None

    def items(self, key: str) -> list[Any]:
        value = self.m.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(key, _("must be a non-empty list"))
        return value

    def child(self, key: str) -> _Reader:
        if key not in self.m:
            raise self.fail(key, _("this field is required"))
        return _Reader(self.m[key], f"{self.path}.{key}" if self.path else key, self.line(key))


def _item_reader(item: Any, path: str, parent: _Reader, key: str) -> _Reader:
    return _Reader(item, path, getattr(item, "line", parent.line(key)))


def check_plan_data(data: LineMap) -> PlanSpec:
    """Check everything; return the typed specs. Reads the database only to resolve unit
    codes the file refers to without declaring them."""
    root = _Reader(data, "")
    spec = PlanSpec()
    org = root.child("organization")
    known: dict[str, str] = {}  # code -> kind, of units declared in the file

    def resolve(reader: _Reader, key: str) -> str:
        code = reader.code(key)
        if code not in known and not Unit.objects.filter(code=code).exists():
            raise reader.fail(key, _("unknown unit “%(code)s”") % {"code": code})
        return code

    territorial = [k.value for k in UnitKind if k not in (UnitKind.AGENCY, UnitKind.VILLAGE)]
    for i, item in enumerate(org.items("units")):
        r = _item_reader(item, f"organization.units[{i}]", org, "units")
        code = r.code("code")
        if code in known:
            raise r.fail("code", _("unit “%(code)s” is declared twice") % {"code": code})
        kind = r.choice("kind", territorial)
        parent = resolve(r, "parent") if r.has("parent") else None
        if parent is None and kind != UnitKind.PROVINCE:
            raise r.fail("parent", _("only a province may have no parent"))
        spec.units.append(UnitSpec(code, r.text("name", max_length=200), kind, parent, "", i))
        known[code] = kind

    spec.communes_parent = resolve(org, "communes_parent")
    commune_codes: set[str] = set()
    commune_names: set[str] = set()
    for i, item in enumerate(org.items("communes")):
        r = _item_reader(item, f"organization.communes[{i}]", org, "communes")
        code, name = r.code("code"), r.text("name", max_length=200)
        if code in commune_codes or code in known:
            raise r.fail("code", _("duplicate commune “%(code)s”") % {"code": code})
        if name.casefold() in commune_names:
            raise r.fail("name", _("duplicate commune “%(name)s”") % {"name": name})
        commune_codes.add(code)
        commune_names.add(name.casefold())
        villages = r.integer("villages", minimum=1, maximum=1000)
        spec.communes.append(CommuneSpec(code, name, villages, i))
        known[code] = UnitKind.COMMUNE

    agency_types = [t.value for t in AgencyType]
    for i, item in enumerate(org.items("agencies")):
        r = _item_reader(item, f"organization.agencies[{i}]", org, "agencies")
        code = r.code("code")
        if code in known:
            raise r.fail("code", _("unit “%(code)s” is declared twice") % {"code": code})
        agency_type = r.choice("type", agency_types)
        parent = resolve(r, "parent")
        spec.units.append(
            UnitSpec(code, r.text("name", max_length=200), UnitKind.AGENCY, parent, agency_type, i)
        )
        known[code] = UnitKind.AGENCY

    p = root.child("plan")
    plan: dict[str, Any] = {
        "number": p.text("number", max_length=50),
        "title": p.text("title"),
        "issued_on": p.date("issued_on"),
        "issuer": resolve(p, "issuer"),
        "area": resolve(p, "area"),
        "signatory_name": p.text("signatory_name", max_length=120),
        "signatory_title": p.text("signatory_title", max_length=200),
        "programme": p.text("programme"),
        "project": p.text("project"),
        "year": p.integer("year", minimum=2000, maximum=2100),
        "period_start": p.date("period_start"),
        "period_end": p.date("period_end"),
        "current_source_label": p.text("current_source_label", required=False, max_length=120),
        "carried_source_label": p.text("carried_source_label", required=False, max_length=120),
        "carried_use_by": p.date("carried_use_by", required=False),
        "carried_use_by_ground": p.text("carried_use_by_ground", required=False, max_length=300),
        "note": p.text("note", required=False, max_length=5000),
    }
    if plan["period_end"] < plan["period_start"]:
        raise p.fail("period_end", _("the period ends before it starts"))
    spec.plan = plan

    spec.levels = _check_levels(p, plan["area"], spec.units)
    level_codes = [lv["code"] for lv in spec.levels]
    spec.plan["levels"] = spec.levels

    env = p.child("envelope")
    seen: set[tuple[str, str]] = set()
    cell_lines: dict[tuple[str, str], _Reader] = {}
    for i, item in enumerate(env.items("cells")):
        r = _item_reader(item, f"plan.envelope.cells[{i}]", env, "cells")
        level = r.choice("level", level_codes)
        source = r.choice("source", [x.value for x in Source])
        if (level, source) in seen:
            raise r.fail(
                "source", _("the cell %(l)s × %(s)s appears twice") % {"l": level, "s": source}
            )
        seen.add((level, source))
        cell_lines[(level, source)] = r
        spec.cells.append(CellSpec(level, source, r.integer("amount")))
    total = env.integer("total")
    cells_sum = sum(c.amount for c in spec.cells)
    if cells_sum != total:
        raise env.fail(
            "total",
            _("the cells add up to %(sum)s đồng, not the stated total %(total)s")
            % {"sum": cells_sum, "total": total},
        )
    spec.plan["total_amount"] = total
    for group, attr in (("sources", "source"), ("levels", "level")):
        if not env.has(group):
            continue
        g = env.child(group)
        for key in g.m:
            stated = g.integer(key)
            actual = sum(c.amount for c in spec.cells if getattr(c, attr) == key)
            if stated != actual:
                raise g.fail(
                    key,
                    _("the cells of “%(key)s” add up to %(sum)s đồng, not %(stated)s")
                    % {"key": key, "sum": actual, "stated": stated},
                )

    content_codes: set[str] = set()
    for i, item in enumerate(p.items("contents")):
        r = _item_reader(item, f"plan.contents[{i}]", p, "contents")
        code = r.text("code", max_length=10)
        if code in content_codes:
            raise r.fail("code", _("content “%(code)s” appears twice") % {"code": code})
        content_codes.add(code)
        activities = []
        activity_codes: Counter[str] = Counter()
        for j, act_item in enumerate(r.items("activities")):
            a = _item_reader(act_item, f"{r.path}.activities[{j}]", r, "activities")
            acode = a.text("code", max_length=20)
            activity_codes[acode] += 1
            if activity_codes[acode] > 1:
                raise a.fail("code", _("activity “%(code)s” appears twice") % {"code": acode})
            levels = a.text("levels", required=False) or ",".join(level_codes)
            for lv in levels.split(","):
                if lv.strip() not in level_codes:
                    raise a.fail("levels", _("unknown level “%(l)s”") % {"l": lv.strip()})
            activities.append(ActivitySpec(acode, a.text("title"), levels, j))
        spec.contents.append(ContentSpec(code, r.text("title"), i, tuple(activities)))
    if p.has("carry_over"):
        spec.carry_over = _check_carry_over(p, spec, level_codes, cell_lines)
    return spec


def _check_levels(p: _Reader, area: str, units: list[UnitSpec]) -> list[dict[str, str]]:
    """The plan's levels: each a key, the words shown for it, who spends its money (the
    area, or the communes) and whose offices act at each stage. Without ``levels`` the
    plan has Plan 117's: the district and its communes, the district's offices acting."""
    if not p.has("levels"):
        return [dict(row) for row in DEFAULT_LEVELS]
    levels: list[dict[str, str]] = []
    scopes: set[str] = set()
    actors = [a.value for a in Actor]
    for i, item in enumerate(p.items("levels")):
        r = _item_reader(item, f"plan.levels[{i}]", p, "levels")
        code = r.choice("code", [x.value for x in Level])
        if any(lv["code"] == code for lv in levels):
            raise r.fail("code", _("the level “%(code)s” appears twice") % {"code": code})
        scope = r.choice("scope", [s.value for s in Scope])
        if scope in scopes:
            raise r.fail("scope", _("two levels are spent by “%(scope)s”") % {"scope": scope})
        scopes.add(scope)
        row = {"code": code, "label": r.text("label", max_length=120), "scope": scope}
        for stage in STAGES:
            if not r.has(stage):
                if stage == "review":
                    row[stage] = ""
                    continue
                if stage == "approve":
                    raise r.fail(stage, _("this level names no approving unit"))
                raise r.fail(stage, _("this level names no unit for this stage"))
            value = r.choice(stage, actors)
            if value == Actor.COMMUNE and scope != Scope.COMMUNES:
                raise r.fail(
                    stage, _("only a level spent by the communes may name the commune here")
                )
            row[stage] = value
        if row["approve"] == Actor.AREA and not _has_agency(area, "peoples_committee", units):
            raise r.fail(
                "approve",
                _("this level names no approving unit: %(area)s has no People's Committee")
                % {"area": area},
            )
        levels.append(row)
    return levels


def _has_agency(territory: str, agency_type: str, units: list[UnitSpec]) -> bool:
    """Whether an agency of ``agency_type`` is attached to ``territory`` (in the file or
    already loaded)."""
    if any(u.parent == territory and u.agency_type == agency_type for u in units):
        return True
    return Unit.objects.filter(
        parent__code=territory, kind=UnitKind.AGENCY, agency_type=agency_type, is_active=True
    ).exists()


def _check_carry_over(
    p: _Reader, spec: PlanSpec, level_codes: list[str], cell_lines: dict[tuple[str, str], _Reader]
) -> CarryOverSpec:
    """The earlier plan this plan's carried-over cells come from. A carried cell may not
    hold more than the earlier plan recorded as carried over into its level (the
    settlements' tranches), so money is never carried twice or made up."""
    from django.apps import apps

    co = p.child("carry_over")
    number = co.text("from", max_length=50)
    earlier = Plan.objects.filter(number=number).first()
    if earlier is None:
        raise co.fail("from", _("no plan numbered “%(n)s” is loaded") % {"n": number})
    if earlier.number == spec.plan["number"]:
        raise co.fail("from", _("a plan cannot carry over from itself"))
    mapping = {lv.code: lv.code for lv in earlier.level_specs() if lv.code in level_codes}
    if co.has("levels"):
        m = co.child("levels")
        earlier_codes = [lv.code for lv in earlier.level_specs()]
        for key in m.m:
            if key not in earlier_codes:
                raise m.fail(
                    key,
                    _("plan %(plan)s has no level “%(code)s”")
                    % {"plan": earlier.number, "code": key},
                )
            mapping[key] = m.choice(key, level_codes)
    tranche = apps.get_model("ledger", "Tranche")
    recorded: dict[str, int] = {}
    for level, amount in tranche.objects.filter(plan=earlier).values_list("level", "amount"):
        into = mapping.get(level)
        if into is not None:
            recorded[into] = recorded.get(into, 0) + amount
    for (level, source), r in cell_lines.items():
        if source != Source.CARRIED:
            continue
        amount = next(c.amount for c in spec.cells if c.level == level and c.source == source)
        if amount > recorded.get(level, 0):
            raise r.fail(
                "amount",
                _(
                    "carries %(amount)s đồng over from plan %(plan)s into this level, but "
                    "only %(recorded)s đồng was recorded as carried over into it"
                )
                % {"amount": amount, "plan": earlier.number, "recorded": recorded.get(level, 0)},
            )
    spec.plan["carried_from"] = earlier.number
    return CarryOverSpec(earlier.number, mapping)


# ---------------------------------------------------------------------------------------
# Writing.


@dataclass
class LoadResult:
    plan: Plan
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _upsert(
    result: LoadResult, model: type[M], lookup: dict[str, Any], values: dict[str, Any]
) -> M:
    """Create, update only the differing fields, or leave alone; count which."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        result.created += 1
        return obj
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save(update_fields=changed)
        result.updated += 1
    else:
        result.unchanged += 1
    return obj


def village_code(commune_code: str, number: int) -> str:
    return f"{commune_code}.ban-{number:02d}"


@transaction.atomic
def plan_load(spec: PlanSpec) -> LoadResult:
    """Write a checked plan. Villages are created numbered only where missing, so names an
    administrator gave them survive a reload."""
    units: dict[str, Unit] = {}

    def unit(code: str) -> Unit:
        if code not in units:
            units[code] = Unit.objects.get(code=code)
        return units[code]

    result = LoadResult(plan=Plan())
    for u in spec.units:
        if u.kind == UnitKind.AGENCY:
            continue
        units[u.code] = _upsert(
            result,
            Unit,
            {"code": u.code},
            {
                "name": u.name,
                "kind": u.kind,
                "agency_type": "",
                "parent": unit(u.parent) if u.parent else None,
                "sort_order": u.sort_order,
            },
        )
    communes_parent = unit(spec.communes_parent)
    for c in spec.communes:
        commune = _upsert(
            result,
            Unit,
            {"code": c.code},
            {
                "name": c.name,
                "kind": UnitKind.COMMUNE,
                "agency_type": "",
                "parent": communes_parent,
                "sort_order": c.sort_order,
            },
        )
        units[c.code] = commune
        existing = set(
            commune.children.filter(kind=UnitKind.VILLAGE).values_list("code", flat=True)
        )
        # A commune a reorganisation abolished handed its villages to its successor.
        have = c.villages if commune.successor_id is not None else len(existing)
        for n in range(1, c.villages + 1):
            if have >= c.villages:
                break
            code = village_code(c.code, n)
            if code in existing:
                continue
            Unit.objects.create(
                code=code,
                name=_("Village %(n)s") % {"n": n},
                kind=UnitKind.VILLAGE,
                parent=commune,
                sort_order=n,
            )
            result.created += 1
            have += 1
        for agency_type, label in (
            (AgencyType.WOMENS_UNION, _("Women's Union of %(name)s")),
            (AgencyType.PEOPLES_COMMITTEE, _("People's Committee of %(name)s")),
        ):
            suffix = "hlhpn" if agency_type == AgencyType.WOMENS_UNION else "ubnd"
            _upsert(
                result,
                Unit,
                {"code": f"{c.code}.{suffix}"},
                {
                    "name": label % {"name": c.name},
                    "kind": UnitKind.AGENCY,
                    "agency_type": agency_type,
                    "parent": commune,
                    "sort_order": 0,
                },
            )
    for u in spec.units:
        if u.kind != UnitKind.AGENCY:
            continue
        units[u.code] = _upsert(
            result,
            Unit,
            {"code": u.code},
            {
                "name": u.name,
                "kind": u.kind,
                "agency_type": u.agency_type,
                "parent": unit(u.parent) if u.parent else None,
                "sort_order": u.sort_order,
            },
        )

    values = dict(spec.plan)
    number = values.pop("number")
    values["issuer"] = unit(values["issuer"])
    values["area"] = unit(values["area"])
    carried_from = values.pop("carried_from", None)
    values["carried_from"] = Plan.objects.get(number=carried_from) if carried_from else None
    if spec.carry_over is not None:
        values["carry_over_levels"] = spec.carry_over.levels
    plan = _upsert(result, Plan, {"number": number}, values)
    result.plan = plan
    for c in spec.communes:
        _upsert(
            result,
            PlanCommune,
            {"plan": plan, "commune": units[c.code]},
            {"village_count": c.villages, "sort_order": c.sort_order},
        )
    for cell in spec.cells:
        _upsert(
            result,
            EnvelopeCell,
            {"plan": plan, "level": cell.level, "source": cell.source},
            {"amount": cell.amount},
        )
    for content_spec in spec.contents:
        content = _upsert(
            result,
            Content,
            {"plan": plan, "code": content_spec.code},
            {"title": content_spec.title, "sort_order": content_spec.sort_order},
        )
        for a in content_spec.activities:
            _upsert(
                result,
                Activity,
                {"content": content, "code": a.code},
                {"title": a.title, "levels": a.levels, "sort_order": a.sort_order},
            )
    return result


def plan_load_file(path: Path) -> LoadResult:
    """Read, check, then load; nothing is written unless the whole file is good."""
    return plan_load(check_plan_data(read_plan_file(path)))
