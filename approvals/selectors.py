"""Reads for the estimate pages: who must act now, the history, the returns, and what
changed between two submitted versions. Visibility is decided before these are called
(``approvals.access``); these only read the estimate they are given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from core.words import amount_in_words
from estimates.models import Activity, Amendment, Estimate, EstimateVersion, Source
from ledger.selectors import estimate_funding
from ledger.selectors import source_label as plan_source_label
from organization import permissions as perms
from organization.models import Unit

from . import access, lifecycle
from .lifecycle import TRANSITIONS
from .models import AuditEntry, Decision


@dataclass(frozen=True)
class Waiting:
    stage: Any
    people: list[Any]


def estimate_waiting_on(estimate: Estimate) -> Waiting | None:
    """The stage the estimate waits in, and the people whose role may act there (one
    query); None when nobody acts any more (closed, withdrawn)."""
    codename = lifecycle.STATUS_PERMISSIONS.get(estimate.status)
    if codename is None:
        return None
    people = list(perms.holders(codename, estimate.unit_id).order_by("username"))
    stage = lifecycle.STATUS_STAGES.get(estimate.status)
    actor = estimate.plan.level_spec(estimate.level).actor(stage) if stage else "area"
    return Waiting(stage=lifecycle.waiting_on(estimate.status, actor), people=people)


def estimate_history(estimate: Estimate) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(estimate=estimate).order_by("seq")


@dataclass(frozen=True)
class Actions:
    """The actions a user may take on an estimate now (``approvals.access.actions_allowed``:
    the questions the services will ask). Pages read them by URL name: ``actions.edit``,
    ``actions.verify_settlement``; ``actions.return_`` for ``return``."""

    names: tuple[str, ...] = ()

    def __getattr__(self, attr: str) -> bool:
        if attr.startswith("__"):
            raise AttributeError(attr)
        wanted = attr.rstrip("_")
        return any(row.url_name == wanted and row.name in self.names for row in TRANSITIONS)

    @property
    def any(self) -> bool:
        return bool(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self.names


def estimate_actions(user: Any, estimate: Estimate) -> Actions:
    """What ``user`` may do on ``estimate`` now."""
    return Actions(names=tuple(access.estimate_actions_allowed(user, estimate)))


# ---------------------------------------------------------------------------------------
# Versions


LINE_FIELDS = ("description", "unit_of_measure", "quantity", "unit_price", "times", "source")
HEADER_LABELS: dict[str, Any] = {
    "title": _("Title"),
    "activity": _("Activity"),
    "start_date": _("Start date"),
    "end_date": _("End date"),
    "participants": _("Participants (women, girls, men)"),
    "villages": _("Villages served"),
    "total_amount": _("Total"),
}


@dataclass(frozen=True)
class LineChange:
    kind: str  # "added", "removed", "changed"
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: tuple[str, ...] = ()

    @property
    def line(self) -> dict[str, Any]:
        return self.new or self.old or {}


@dataclass(frozen=True)
class HeaderChange:
    name: str
    label: Any
    old: Any
    new: Any


@dataclass
class VersionDiff:
    old: EstimateVersion
    new: EstimateVersion
    header: list[HeaderChange] = field(default_factory=list)
    lines: list[LineChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.header and not self.lines


def _show(name: str, value: Any, names: dict[str, dict[int, str]]) -> Any:
    if name == "activity":
        return names["activity"].get(value, value)
    if name == "villages":
        return ", ".join(names["villages"].get(pk, str(pk)) for pk in value) or "—"
    if name == "participants":
        return " / ".join(str(n) for n in value)
    if name in ("start_date", "end_date") and isinstance(value, str) and len(value) == 10:
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value


def version_diff(old: EstimateVersion, new: EstimateVersion) -> VersionDiff:
    """Header fields and lines that changed from ``old`` to ``new``; lines are matched by
    their id (edits keep ids; a deleted and re-typed line shows as removed + added)."""
    a, b = old.snapshot, new.snapshot
    diff = VersionDiff(old=old, new=new)
    changed = [name for name in HEADER_LABELS if a.get(name) != b.get(name)]
    names: dict[str, dict[int, str]] = {"activity": {}, "villages": {}}
    if "activity" in changed:
        ids = [a.get("activity"), b.get("activity")]
        names["activity"] = {
            act.pk: f"{act.code} {act.title}" for act in Activity.objects.filter(pk__in=ids)
        }
    if "villages" in changed:
        ids = [*a.get("villages", []), *b.get("villages", [])]
        names["villages"] = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    diff.header = [
        HeaderChange(
            name,
            HEADER_LABELS[name],
            _show(name, a.get(name), names),
            _show(name, b.get(name), names),
        )
        for name in changed
    ]
    old_lines = {line["id"]: line for line in a.get("lines", [])}
    new_lines = {line["id"]: line for line in b.get("lines", [])}
    for line in b.get("lines", []):
        before = old_lines.get(line["id"])
        if before is None:
            diff.lines.append(LineChange("added", None, line))
        else:
            fields = tuple(f for f in (*LINE_FIELDS, "amount") if before.get(f) != line.get(f))
            if fields:
                diff.lines.append(LineChange("changed", before, line, fields))
    for line in a.get("lines", []):
        if line["id"] not in new_lines:
            diff.lines.append(LineChange("removed", line, None))
    return diff


def estimate_latest_diff(estimate: Estimate) -> VersionDiff | None:
    """The change between the last two submitted versions, if it was resubmitted."""
    versions = list(EstimateVersion.objects.filter(estimate=estimate).order_by("-number")[:2])
    if len(versions) < 2:
        return None
    return version_diff(versions[1], versions[0])


def source_label(value: str) -> Any:
    return Source(value).label if value in Source.values else value


def estimate_decision(estimate: Estimate) -> Decision:
    """The approval decision of an estimate the caller may see (through the access gate);
    Conflict (409) with a message for the user when it has none yet."""
    decision = Decision.objects.filter(estimate=estimate).first()
    if decision is None:
        raise Conflict(
            _(
                "This estimate has no approval decision yet: the decision is issued when the "
                "estimate is approved (it is now “%(status)s”)."
            )
            % {"status": estimate.get_status_display()}
        )
    return decision


def amendment_decision(amendment: Amendment) -> Decision:
    """The decision of an amendment the caller may see; Conflict (409) when it has none
    (it is not approved)."""
    decision = Decision.objects.filter(amendment=amendment).first()
    if decision is None:
        raise Conflict(
            _(
                "This amendment has no decision: a decision is issued when the amendment is "
                "approved (it is now “%(status)s”)."
            )
            % {"status": amendment.get_status_display()}
        )
    return decision


@dataclass
class ToApprove:
    """One funding source of an estimate waiting for approval, as the approver sees it."""

    source: str
    label: str
    requested: int
    amount: int  #: the appraised amount, which approval commits
    words: str
    free_after: int  #: what the envelope cell (and the commune's share) keeps free after it


@dataclass
class ApprovalSummary:
    sources: list[ToApprove]
    requested: int
    amount: int
    words: str
    changes: list[Any]  #: the lines appraisal changed, with the reason given


def approval_summary(estimate: Estimate, lines: list[Any]) -> ApprovalSummary:
    """What the approver must see before approving, above everything else: what was
    asked, what appraisal changed and why, the amount to approve per source in figures
    and words, and the envelope left free after it (the appraisal already reserved the
    amount, so what is free now is what stays free): ``ledger.selectors.estimate_funding``,
    the figures the appraisal page shows."""
    funding = {f.source: f for f in estimate_funding(estimate, lines)}
    rows = []
    for source in Source.values:
        mine = [line for line in lines if line.source == source]
        if not mine:
            continue
        amount = sum(line.appraised_amount or 0 for line in mine)
        found = funding.get(source)
        free = found.free if found is not None else 0
        if found is not None and found.subenvelope_free is not None:
            free = min(free, found.subenvelope_free)
        rows.append(
            ToApprove(
                source=source,
                label=str(plan_source_label(estimate.plan, source)),
                requested=sum(line.amount for line in mine),
                amount=amount,
                words=amount_in_words(amount),
                free_after=free,
            )
        )
    total = sum(r.amount for r in rows)
    return ApprovalSummary(
        sources=rows,
        requested=sum(r.requested for r in rows),
        amount=total,
        words=amount_in_words(total),
        changes=[
            line
            for line in lines
            if line.appraised_amount is not None and line.appraised_amount != line.amount
        ],
    )


def amendments_of(estimate: Estimate) -> list[Amendment]:
    """The estimate's amendments, oldest first, with their lines and decisions (two
    queries). The caller has gone through the access gate."""
    return list(
        Amendment.objects.filter(estimate=estimate)
        .select_related("decision", "proposed_by")
        .prefetch_related("lines__line")
        .order_by("number")
    )
