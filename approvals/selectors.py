"""Reads for the estimate pages: who must act now, the history, the returns, and what
changed between two submitted versions. Visibility is decided before these are called
(``approvals.access``); these only read the estimate they are given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from estimates.models import Activity, Estimate, EstimateStatus, EstimateVersion, Source
from organization import permissions as perms
from organization.models import Unit

from .access import STATUS_PERMISSIONS, unit_ids_with
from .models import AuditEntry

S = EstimateStatus

#: Who acts at each status, in words.
WAITING_ON: dict[str, Any] = {
    S.DRAFT: _("The drafting unit: edit and submit"),
    S.RETURNED: _("The drafting unit: revise and resubmit"),
    S.REVIEW: _("District Women's Union: review, forward or return"),
    S.APPRAISAL: _("Finance-Planning office: appraise or return"),
    S.APPROVAL: _("Vice chair of the district People's Committee: approve or return"),
    S.APPROVED: _("Treasurer / accountant: disburse; the drafting unit settles"),
    S.SETTLEMENT: _("Finance-Planning office: verify the settlement"),
}


@dataclass(frozen=True)
class Waiting:
    stage: Any
    people: list[Any]


def estimate_waiting_on(estimate: Estimate) -> Waiting | None:
    """The stage the estimate waits in, and the people whose role may act there (one
    query); None when nobody acts any more (closed, withdrawn)."""
    codename = STATUS_PERMISSIONS.get(estimate.status)
    if codename is None:
        return None
    people = list(
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__groupobjectpermission__permission__codename=codename,
            groups__groupobjectpermission__content_type=ContentType.objects.get_for_model(Unit),
            groups__groupobjectpermission__object_pk=str(estimate.unit_id),
        )
        .distinct()
        .order_by("username")
    )
    return Waiting(stage=WAITING_ON[estimate.status], people=people)


def estimate_history(estimate: Estimate) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(estimate=estimate).order_by("seq")


@dataclass(frozen=True)
class Actions:
    """The buttons a user may see on an estimate. The services check again on POST."""

    edit: bool = False
    submit: bool = False
    withdraw: bool = False
    forward: bool = False
    return_: bool = False
    appraise: bool = False
    approve: bool = False
    disburse: bool = False
    settle: bool = False
    verify_settlement: bool = False
    return_settlement: bool = False

    @property
    def any(self) -> bool:
        flags = (self.edit, self.submit, self.withdraw, self.forward, self.return_)
        money = (self.disburse, self.settle, self.verify_settlement, self.return_settlement)
        return any((*flags, self.appraise, self.approve, *money))


def estimate_actions(user: Any, estimate: Estimate) -> Actions:
    """What ``user`` may do on ``estimate`` now, from the role grants on its unit and the
    plain segregation rule (whoever drafted or submitted does not act on later stages).
    Earlier-stage conflicts found in the audit trail are left to the service."""
    unit = estimate.unit_id
    status = estimate.status
    author = user.pk in {estimate.created_by_id, estimate.submitted_by_id}

    def may(codename: str) -> bool:
        return unit in unit_ids_with(user, codename)

    drafter = may(perms.DRAFT)
    editable = status in (S.DRAFT, S.RETURNED)
    reviewer = status == S.REVIEW and not author and may(perms.REVIEW)
    appraiser = status == S.APPRAISAL and not author and may(perms.APPRAISE)
    approver = status == S.APPROVAL and not author and may(perms.APPROVE)
    verifier = status == S.SETTLEMENT and not author and may(perms.VERIFY)
    return Actions(
        edit=editable and drafter,
        submit=editable and drafter,
        withdraw=drafter and status in (S.DRAFT, S.RETURNED, S.REVIEW, S.APPRAISAL, S.APPROVAL),
        forward=reviewer,
        return_=reviewer or appraiser or approver,
        appraise=appraiser,
        approve=approver,
        disburse=status == S.APPROVED and not author and may(perms.DISBURSE),
        settle=status == S.APPROVED and drafter,
        verify_settlement=verifier,
        return_settlement=verifier,
    )


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
