"""Excel exports of the reports: served at once when short, produced by a Celery task
(``reports.tasks.export_build``) when the selection holds more than
``settings.REPORTS_EXPORT_ASYNC_ROWS`` rows.

The filters travel as typed (the query string) and are checked again, as the user who
asked, when the workbook is built: a right withdrawn in between leaves nothing to download.
The file is written through Django's storage API under a generated name; only its owner
sees the export and downloads it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from approvals.access import follows_advances
from core.errors import DomainError, Forbidden, RuleViolation

from .consolidated import consolidated_report
from .filters import DecisionFilterForm, ReportFilterForm, form_errors
from .listings import advances_overdue_for_user, decision_list_for_user, totals_of
from .models import ExportKind, ExportStatus, ReportExport
from .sheets import advances_sheet, consolidated_sheet, decisions_sheet
from .xlsx import Sheet, xlsx_table

logger = logging.getLogger(__name__)

Params = Mapping[str, Sequence[str]]


@dataclass
class Prepared:
    """A selection ready to be written: how many rows it holds, and the sheet (or, for a
    list page's export, the function that writes its workbook)."""

    rows: int
    sheet: Sheet | None
    filename: str
    writer: Callable[[Callable[[int], None] | None], bytes] | None = None
    #: The exact count, for the progress of a background export, where ``rows`` was only
    #: counted far enough to tell a long export (``core.pagination.AtLeast``).
    exact_rows: Callable[[], int] | None = None

    def write(self, progress: Callable[[int], None] | None = None) -> bytes:
        if self.writer is not None:
            return self.writer(progress)
        assert self.sheet is not None  # noqa: S101 - one of the two is always given
        return xlsx_table(self.sheet, progress=progress)


#: Exports of other apps' lists (the estimate list and inbox: ``web.list_exports``), by
#: kind: ``preparer(user, params)`` checks the filters as the user and reads the selection.
#: Registered when their app is ready, so the worker that builds them knows them too.
PREPARERS: dict[str, Callable[[Any, Params], Prepared]] = {}


def export_kind_register(kind: str, preparer: Callable[[Any, Params], Prepared]) -> None:
    PREPARERS[kind] = preparer


def params_lists(params: Params) -> dict[str, list[str]]:
    """The filters as {name: [values]}, from a query string (``QueryDict``) or the JSON
    stored with an export."""
    lists = getattr(params, "lists", None)
    if lists is not None:
        return {k: list(v) for k, v in lists()}
    return {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}


def _form(form_class: type[ReportFilterForm], user: Any, params: Params) -> ReportFilterForm:
    form = form_class(MultiValueDict(params_lists(params)), user=user)
    if not form.is_valid():
        field, message = form_errors(form)
        raise RuleViolation(message, field=field)
    return form


def export_prepare(*, user: Any, kind: str, params: Params) -> Prepared:
    """Check the filters as ``user`` and read the selection (``RuleViolation`` naming the
    field for a bad filter, ``Forbidden`` for a report the user's roles do not open)."""
    if kind == ExportKind.CONSOLIDATED:
        query = _form(ReportFilterForm, user, params).query()
        if query is None:
            raise RuleViolation(_("No plan is loaded."), field="plan")
        report = consolidated_report(user, query)
        sheet, filename = consolidated_sheet(report)
        rows = report.line_count + sum(len(g.sources) + 1 for g in report.groups)
        return Prepared(rows, sheet, filename)
    if kind == ExportKind.DECISIONS:
        query = _form(DecisionFilterForm, user, params).query()
        if query is None:
            raise RuleViolation(_("No plan is loaded."), field="plan")
        decisions = decision_list_for_user(user, query)
        totals = totals_of(decisions)
        sheet, filename = decisions_sheet(query, decisions, totals)
        return Prepared(totals.count, sheet, filename)
    if kind == ExportKind.ADVANCES:
        if not follows_advances(user):
            raise Forbidden(_("Your role does not follow advances."))
        today = timezone.localdate()
        advances = advances_overdue_for_user(user, today)
        totals = totals_of(advances)
        sheet, filename = advances_sheet(advances, totals, today)
        return Prepared(totals.count, sheet, filename)
    preparer = PREPARERS.get(kind)
    if preparer is not None:
        return preparer(user, params)
    raise RuleViolation(_("No such report."), field="kind")


def export_is_long(prepared: Prepared) -> bool:
    return prepared.rows > settings.REPORTS_EXPORT_ASYNC_ROWS


def export_start(*, user: Any, kind: str, params: Params, rows: int) -> ReportExport:
    """Record a long export and queue its task once the request commits."""
    from .tasks import export_build

    export = ReportExport.objects.create(
        user=user,
        kind=kind,
        params={
            "filters": params_lists(params),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
        rows_total=rows,
    )
    transaction.on_commit(lambda: export_build.delay(export.pk))
    return export


def export_run(export_id: int) -> None:
    """Build the workbook of an export (safe to run twice: a finished one is left alone)."""
    updated = ReportExport.objects.filter(
        pk=export_id, status__in=[ExportStatus.PENDING, ExportStatus.RUNNING]
    ).update(status=ExportStatus.RUNNING)
    if not updated:
        return
    export = ReportExport.objects.select_related("user").get(pk=export_id)
    queryset = ReportExport.objects.filter(pk=export_id)
    try:
        with translation.override(export.params.get("language") or settings.LANGUAGE_CODE):
            prepared = export_prepare(
                user=export.user, kind=export.kind, params=export.params.get("filters", {})
            )
            total = max(prepared.exact_rows() if prepared.exact_rows else prepared.rows, 1)
            queryset.update(rows_total=total, rows_done=0)

            def progress(n: int) -> None:
                queryset.update(rows_done=min(n, total))

            content = prepared.write(progress=progress)
    except DomainError as error:
        queryset.update(
            status=ExportStatus.FAILED, error=error.message[:500], finished_at=timezone.now()
        )
        return
    except Exception:
        logger.exception("report export %s failed", export_id)
        queryset.update(
            status=ExportStatus.FAILED,
            error=_("The report could not be produced. Please try again.")[:500],
            finished_at=timezone.now(),
        )
        return
    export.refresh_from_db()
    export.filename = prepared.filename
    export.file.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(content), save=False)
    export.status = ExportStatus.READY
    export.rows_done = export.rows_total
    export.finished_at = timezone.now()
    export.save(update_fields=["filename", "file", "status", "rows_done", "finished_at"])
