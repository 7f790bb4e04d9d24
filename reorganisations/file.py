"""Read and check a reorganisation file (YAML, or JSON read by the same parser).

The format (``reorganisations/data/lai-chau-2025.example.yaml`` is a full example)::

    reorganisation:
      code: lai-chau-2025-07          # a stable key: applying the same file again is a no-op
      title: "…"
      basis: "…"                      # the legal text, optional
      effective_on: "2025-07-01"      # from this day the successors carry the work
      illustrative: true              # required: true when the lists are an example
    units:                            # units the reorganisation creates (optional)
      - {code: x, name: "…", kind: commune, parent: lai-chau}
      - {code: lai-chau.hlhpn, name: "…", kind: agency, type: womens_union, parent: lai-chau}
    merges:                           # old units → one successor (one old unit: a rename)
      - {into: x, from: [a, b, c]}
    splits:                           # one old unit → parts; ``successor`` carries its work
      - {from: d, into: [y, z], successor: y}
    agencies:                         # old agencies → a successor agency of the same type
      - {into: lai-chau.stc, from: [phong-tho.tckh], staff: move}
    issuers:                          # who issues the successors' decisions (optional)
      - {unit: x, name: "ỦY BAN NHÂN DÂN XÃ …", place: "…", signer_capacity: ["CHỦ TỊCH"]}

A new commune gets its Women's Union (``<code>.hlhpn``) and People's Committee
(``<code>.ubnd``) as the plan loader makes them. The agencies of a merged or split
territory go to the successor's agency of the same type unless ``agencies`` names
another. ``staff: move`` (the default) moves the people of an abolished unit to its
successor with the same role; ``staff: end`` ends their memberships there.

``issuers`` names the body issuing the approval decisions of a successor territory (a
commune, or the province taking over a district's work), in the format of
``approvals/data/decision_issuers.yaml``: ``name`` and ``place`` are required;
``governing_body``, ``symbol_suffix`` (default ``QĐ-UBND``), ``signer_capacity``,
``delegate_capacity``, ``executors`` and ``recipients`` are optional. Each gets its own
register of numbers per year; an issuer the unit already has is replaced.

Everything is checked before anything is written; every refusal names the line and the
field (:class:`ReorganisationFileError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from approvals.services.decisions import ISSUER_FIELDS
from core.datafile import DataFileError, LineMap, LineSeq, data_file_read
from core.errors import RuleViolation
from core.text import text_clean
from organization.models import AgencyType, Unit, UnitKind

_SLUG = re.compile(r"^[a-z0-9][a-z0-9.-]*$")

#: The agencies a new commune gets, as the plan loader makes them: (type, code suffix).
COMMUNE_AGENCIES = (
    (AgencyType.WOMENS_UNION, "hlhpn"),
    (AgencyType.PEOPLES_COMMITTEE, "ubnd"),
)

#: Which kind of unit may carry the work of which.
SUCCESSOR_KINDS: dict[str, tuple[str, ...]] = {
    UnitKind.COMMUNE: (UnitKind.COMMUNE,),
    UnitKind.DISTRICT: (UnitKind.DISTRICT, UnitKind.PROVINCE),
    UnitKind.PROVINCE: (UnitKind.PROVINCE,),
    UnitKind.VILLAGE: (UnitKind.VILLAGE,),
    UnitKind.AGENCY: (UnitKind.AGENCY,),
}


class ReorganisationFileError(DataFileError):
    """A file that cannot be applied: which line, which field, and why."""


def _date(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


class _Reader:
    def __init__(self, mapping: Any, path: str, line: int | None) -> None:
        if not isinstance(mapping, LineMap):
            raise ReorganisationFileError(_("must be a mapping"), field=path, line=line)
        self.m = mapping
        self.path = path

    def line(self, key: str) -> int:
        return self.m.key_lines.get(key, self.m.line)

    def fail(self, key: str, message: str) -> ReorganisationFileError:
        name = f"{self.path}.{key}" if self.path else key
        return ReorganisationFileError(message, field=name, line=self.line(key))

    def unknown_keys(self, allowed: set[str]) -> None:
        for key in self.m:
            if key not in allowed:
                raise self.fail(
                    str(key),
                    _("unknown field; expected one of: %(keys)s")
                    % {"keys": ", ".join(sorted(allowed))},
                )

    def text(self, key: str, *, required: bool = True, max_length: int = 300) -> str:
        value = self.m.get(key)
        if value is None:
            if required:
                raise self.fail(key, _("this field is required"))
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, _("must be text"))
        try:
            value = text_clean(" ".join(value.split()), field=key, max_length=None)
        except RuleViolation as exc:
            raise self.fail(key, exc.message) from None
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

    def codes(self, key: str) -> list[tuple[str, int]]:
        """A list of codes (or one code), each with its line."""
        value = self.m.get(key)
        if isinstance(value, str):
            value, lines = [value], [self.line(key)]
        elif isinstance(value, LineSeq) and value:
            lines = value.item_lines
        else:
            raise self.fail(key, _("must be a code or a non-empty list of codes"))
        out = []
        for item, line in zip(value, lines, strict=True):
            if not isinstance(item, str) or not _SLUG.match(item):
                raise ReorganisationFileError(
                    _("“%(v)s” is not a valid code (a-z, 0-9, “.”, “-”)") % {"v": item},
                    field=f"{self.path}.{key}",
                    line=line,
                )
            out.append((item, line))
        return out

    def items(self, key: str) -> list[tuple[_Reader, int]]:
        value = self.m.get(key)
        if value is None:
            return []
        if not isinstance(value, LineSeq):
            raise self.fail(key, _("must be a list"))
        return [
            (_Reader(item, f"{key}[{n}]", line), line)
            for n, (item, line) in enumerate(zip(value, value.item_lines, strict=True))
        ]


# ---------------------------------------------------------------------------------------
# What the file says, checked.


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    kind: str
    agency_type: str
    parent: str
    line: int


@dataclass(frozen=True)
class Move:
    """One abolished unit and the unit that carries its work."""

    old: str
    successor: str
    kind: str  # reorganisations.models.MoveKind
    staff: bool
    line: int
    field: str


@dataclass(frozen=True)
class NewIssuer:
    """The body that issues a successor territory's decisions (``approvals.DecisionIssuer``)."""

    unit: str
    entry: dict[str, Any]
    line: int


@dataclass
class ReorganisationSpec:
    code: str
    title: str
    basis: str
    effective_on: dt.date
    illustrative: bool
    sha256: str
    units: list[NewUnit] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    issuers: list[NewIssuer] = field(default_factory=list)


def read_reorganisation_file(path: Path) -> tuple[LineMap, str]:
    data, raw = data_file_read(path, ReorganisationFileError)
    if not isinstance(data, LineMap):
        raise ReorganisationFileError(_("the file must hold a mapping with “reorganisation”"))
    return data, hashlib.sha256(raw).hexdigest()


def check_reorganisation_data(data: LineMap, sha256: str) -> ReorganisationSpec:
    """The file's header, units and moves, checked in themselves (the database's units
    are checked against them by ``reorganisations.services.reorganisation_plan``)."""
    root = _Reader(data, "", 1)
    root.unknown_keys({"reorganisation", "units", "merges", "splits", "agencies", "issuers"})
    if "reorganisation" not in data:
        raise root.fail("reorganisation", _("this field is required"))
    head = _Reader(data["reorganisation"], "reorganisation", root.line("reorganisation"))
    head.unknown_keys({"code", "title", "basis", "effective_on", "illustrative"})
    effective = head.m.get("effective_on")
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError:
            effective = None
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        raise head.fail("effective_on", _("must be a date (YYYY-MM-DD)"))
    illustrative = head.m.get("illustrative")
    if not isinstance(illustrative, bool):
        raise head.fail(
            "illustrative",
            _("must be true or false: say whether the lists are an example or official"),
        )
    spec = ReorganisationSpec(
        code=head.code("code"),
        title=head.text("title"),
        basis=head.text("basis", required=False, max_length=500),
        effective_on=effective,
        illustrative=illustrative,
        sha256=sha256,
    )
    declared: dict[str, int] = {}
    for r, line in root.items("units"):
        r.unknown_keys({"code", "name", "kind", "type", "parent"})
        code = r.code("code")
        if code in declared:
            raise r.fail(
                "code",
                _("unit “%(code)s” is declared twice (line %(line)s)")
                % {"code": code, "line": declared[code]},
            )
        kind = r.text("kind")
        if kind not in UnitKind.values:
            raise r.fail(
                "kind",
                _("“%(v)s” is not one of: %(c)s") % {"v": kind, "c": ", ".join(UnitKind.values)},
            )
        agency_type = ""
        if kind == UnitKind.AGENCY:
            agency_type = r.text("type")
            if agency_type not in AgencyType.values:
                raise r.fail(
                    "type",
                    _("“%(v)s” is not one of: %(c)s")
                    % {"v": agency_type, "c": ", ".join(AgencyType.values)},
                )
        elif "type" in r.m:
            raise r.fail("type", _("only an agency has a type"))
        parent = r.code("parent")
        declared[code] = line
        spec.units.append(
            NewUnit(code, r.text("name", max_length=200), kind, agency_type, parent, line)
        )
        if kind == UnitKind.COMMUNE:
            for _type, suffix in COMMUNE_AGENCIES:
                declared.setdefault(f"{code}.{suffix}", line)

    def staff(r: _Reader) -> bool:
        value = r.m.get("staff", "move")
        if value not in ("move", "end"):
            raise r.fail("staff", _("must be “move” or “end”"))
        return value == "move"

    for r, _line in root.items("merges"):
        r.unknown_keys({"into", "from", "staff"})
        into = r.code("into")
        for old, old_line in r.codes("from"):
            spec.moves.append(Move(old, into, "merge", staff(r), old_line, f"{r.path}.from"))
    for r, _line in root.items("splits"):
        r.unknown_keys({"from", "into", "successor", "staff"})
        old = r.code("from")
        parts = [code for code, _l in r.codes("into")]
        successor = r.code("successor")
        if successor not in parts:
            raise r.fail(
                "successor",
                _("must be one of the parts in “into”: %(p)s") % {"p": ", ".join(parts)},
            )
        spec.moves.append(Move(old, successor, "split", staff(r), r.line("from"), f"{r.path}.from"))
    for r, _line in root.items("agencies"):
        r.unknown_keys({"into", "from", "staff"})
        into = r.code("into")
        for old, old_line in r.codes("from"):
            spec.moves.append(Move(old, into, "agency", staff(r), old_line, f"{r.path}.from"))
    spec.issuers = _issuers(root)
    if not spec.moves:
        raise root.fail(
            "merges", _("the file moves no unit: give “merges”, “splits” or “agencies”")
        )

    # Within the file: each unit abolished once, and no cycle.
    seen: dict[str, Move] = {}
    for move in spec.moves:
        if move.old in declared:
            raise ReorganisationFileError(
                _(
                    "“%(code)s” is created by this file (line %(line)s) and cannot be "
                    "abolished by it"
                )
                % {"code": move.old, "line": declared[move.old]},
                field=move.field,
                line=move.line,
            )
        if move.old in seen:
            raise ReorganisationFileError(
                _("“%(code)s” is merged twice on %(date)s (lines %(first)s and %(second)s)")
                % {
                    "code": move.old,
                    "date": _date(spec.effective_on),
                    "first": seen[move.old].line,
                    "second": move.line,
                },
                field=move.field,
                line=move.line,
            )
        seen[move.old] = move
    for move in spec.moves:
        if move.old == move.successor:
            raise ReorganisationFileError(
                _("“%(code)s” cannot be its own successor") % {"code": move.old},
                field=move.field,
                line=move.line,
            )
        chain = [move.old, move.successor]
        node = move.successor
        while node in seen:
            node = seen[node].successor
            if node in chain:
                chain.append(node)
                raise ReorganisationFileError(
                    _("the moves form a cycle: %(chain)s") % {"chain": " → ".join(chain)},
                    field=move.field,
                    line=move.line,
                )
            chain.append(node)
        if move.successor in seen:
            raise ReorganisationFileError(
                _(
                    "the successor “%(code)s” is itself abolished by this file (line %(line)s): "
                    "name the unit that carries the work in the end"
                )
                % {"code": move.successor, "line": seen[move.successor].line},
                field=move.field,
                line=move.line,
            )
    return spec


def _text_list(r: _Reader, key: str) -> list[str]:
    value = r.m.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise r.fail(key, _("must be a list of text lines"))
    return [" ".join(v.split()) for v in value]


def _issuers(root: _Reader) -> list[NewIssuer]:
    """The ``issuers`` of the file, checked in themselves (each unit once)."""
    found: list[NewIssuer] = []
    seen: dict[str, int] = {}
    for r, line in root.items("issuers"):
        r.unknown_keys({"unit", *ISSUER_FIELDS})
        code = r.code("unit")
        if code in seen:
            raise r.fail(
                "unit",
                _("the issuer of “%(code)s” is given twice (line %(line)s)")
                % {"code": code, "line": seen[code]},
            )
        seen[code] = line
        entry: dict[str, Any] = {
            "name": r.text("name", max_length=200),
            "governing_body": r.text("governing_body", required=False, max_length=200),
            "place": r.text("place", max_length=100),
            "symbol_suffix": r.text("symbol_suffix", required=False, max_length=30) or "QĐ-UBND",
            "executors": r.text("executors", required=False, max_length=2000),
        }
        for key in ("signer_capacity", "delegate_capacity", "recipients"):
            entry[key] = _text_list(r, key)
        if not entry["signer_capacity"]:
            raise r.fail("signer_capacity", _("this field is required"))
        found.append(NewIssuer(code, entry, line))
    return found


def reorganisation_file_read(path: Path) -> ReorganisationSpec:
    data, sha256 = read_reorganisation_file(path)
    return check_reorganisation_data(data, sha256)


def unit_kind_ok(old: Unit, successor_kind: str, successor_type: str) -> bool:
    if successor_kind not in SUCCESSOR_KINDS.get(old.kind, ()):
        return False
    return old.kind != UnitKind.AGENCY or old.agency_type == successor_type
