"""The gate of the progress reports: who sees a report, who may act on it, which actions
are offered. The same grants as the estimates' (``organization.permissions``: role groups
holding object permissions on units): a commune's Women's Union drafts its commune's
reports (``draft``), the district Women's Union reviews them (``review`` on the commune)
and drafts the district's report (``draft`` on the district); anyone who sees a unit's
estimates sees its reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from core.errors import Forbidden
from organization import permissions as perms
from organization.models import Role

from . import lifecycle
from .models import ProgressReport

unit_ids_with = perms.unit_ids_with


def report_list_for_user(user: Any) -> QuerySet[ProgressReport]:
    """Every report the user may read."""
    return ProgressReport.objects.filter(unit_id__any=unit_ids_with(user, perms.VIEW))


def access_report(
    user: Any,
    pk: int | str,
    *,
    perm: str = perms.VIEW,
    queryset: QuerySet[ProgressReport] | None = None,
) -> ProgressReport:
    """A report for a user: 404 if it does not exist or they may not see it (the same
    answer), 403 if they see it but lack ``perm`` on its unit."""
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = queryset if queryset is not None else ProgressReport.objects.all()
    report = qs.filter(pk=pk_int, unit_id__any=unit_ids_with(user, perms.VIEW)).first()
    if report is None:
        raise Http404(_("No such report."))
    if perm != perms.VIEW and report.unit_id not in unit_ids_with(user, perm):
        raise Forbidden(_("Your role does not allow this on this report."))
    return report


def report_authority(
    actor: Any, report: ProgressReport, row: lifecycle.ReportTransition
) -> tuple[str, str]:
    """The (role, agency name) in which ``actor`` takes ``row`` on the report, or
    Forbidden. Whoever submitted a commune's report does not accept or return it."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise Forbidden(_("Log in to do this."))
    if report.unit_id not in unit_ids_with(actor, perms.VIEW):
        raise Http404(_("No such report."))
    granted = perms.role_granting(actor, row.permission, report.unit_id)
    if granted is None:
        raise Forbidden(_("Your role does not allow this on this report."))
    if row.permission == perms.REVIEW and actor.pk in {
        report.submitted_by_id,
        report.created_by_id,
    }:
        raise Forbidden(_("You drafted or submitted this report: someone else must accept it."))
    role, _code, agency_name = granted
    return role, agency_name


def report_actions_allowed(user: Any, reports: Iterable[ProgressReport]) -> dict[int, list[str]]:
    """For each report, the table's actions ``user`` may take now (no query: the grants
    are cached on the user)."""
    result: dict[int, list[str]] = {}
    for report in reports:
        names: list[str] = []
        if getattr(user, "is_authenticated", False) and user.is_active:
            for row in lifecycle.transitions_from(report.level, report.status):
                if report.unit_id not in unit_ids_with(user, row.permission):
                    continue
                if row.permission == perms.REVIEW and user.pk in {
                    report.submitted_by_id,
                    report.created_by_id,
                }:
                    continue
                if row.name not in names:
                    names.append(row.name)
        result[report.pk] = names
    return result


def reporting_unit_ids(user: Any) -> frozenset[int]:
    """The units the user drafts reports for (its commune, or the district)."""
    return unit_ids_with(user, perms.DRAFT)


def reviewed_unit_ids(user: Any) -> frozenset[int]:
    """The communes whose reports the user accepts or returns."""
    return unit_ids_with(user, perms.REVIEW)


def target_setter_grant(user: Any, area_id: int) -> Any:
    """The grant (role, unit code, agency name) in which ``user`` enters the targets the
    plan does not give for the plan whose area is ``area_id`` (the district Women's Union
    of that area), or None."""
    granted = perms.role_granting(user, perms.DRAFT, area_id)
    return granted if granted is not None and granted[0] == Role.DISTRICT_WU else None


def may_set_targets(user: Any) -> bool:
    """Whether ``user`` enters targets for some plan (the indicators page's form)."""
    return any(
        target_setter_grant(user, unit_id) is not None
        for unit_id in unit_ids_with(user, perms.DRAFT)
    )
