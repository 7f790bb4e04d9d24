"""The consolidated report of the plan's money, the approval decisions and the overdue
advances: on screen, as Excel (cells read back with openpyxl) and in the API; totals equal
to ``plan_summary --json``; access per unit; a fixed number of queries; long exports in
the background for the user who asked only."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals import services
from estimates.models import Level, Plan, Source
from ledger.services import subenvelope_set
from organization.models import Unit
from organization.permissions import unit_grants_of
from reports.consolidated import FIGURES, consolidated_report
from reports.filters import ReportQuery
from reports.models import ExportStatus, ReportExport
from reports.xlsx import MONEY_FORMAT, XLSX
from tests.factories import estimate_in_status, lines_of
from tests.reports.test_workbooks import api_client, page_client

pytestmark = pytest.mark.django_db

SHARE = 900_000_000


def _disburse(users: dict[str, Any], estimate_id: int, source: str, amount: int, **kw: Any) -> Any:
    return services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=estimate_id,
        kind=kw.pop("kind", "payment"),
        paid_on=kw.pop("paid_on", timezone.localdate()),
        amount=amount,
        source=source,
        document_type="payment_order",
        document_number=f"UNC-{estimate_id}-{source}",
        payee="Hội LHPN",
        **kw,
    )


@pytest.fixture
def money(plan: Plan, users: dict[str, Any]) -> dict[str, Any]:
    """Through the real services: Sì Lở Lầu holds a share of the commune-level current
    money; one of its estimates approved, disbursed, settled (part returned, part carried
    over) and verified; one approved with an overdue advance; one of Nậm Xe approved and
    paid; one of the district in approval (reserved); one of Sì Lở Lầu closed with nothing
    disbursed (its commitment lapsed)."""
    silolau = Unit.objects.get(code="si-lo-lau")
    subenvelope_set(
        plan=plan, commune=silolau, source=Source.CURRENT, amount=SHARE, actor=users["tckh"]
    )
    settled = estimate_in_status(
        "approved",
        plan=plan,
        lines=lines_of((Source.CURRENT, 3_000_000), (Source.CARRIED, 2_000_000)),
    )
    _disburse(users, settled.pk, Source.CURRENT, 3_000_000)
    # Carried-over money of plan 117 is paid by its use-by date (31/12/2024).
    _disburse(users, settled.pk, Source.CARRIED, 2_000_000, paid_on=dt.date(2024, 6, 10))
    services.estimate_settle(
        actor=users["hoi.silolau"],
        estimate_id=settled.pk,
        lines=[
            {"line_id": line.pk, "spent": {1: 2_500_000, 2: 1_200_000}[line.position]}
            for line in settled.lines.all()
        ],
        returned=1_000_000,
        return_document="GNT-01",
        carried=300_000,
        carried_use_by=plan.period_end + dt.timedelta(days=365),
    )
    services.estimate_verify_settlement(actor=users["tckh"], estimate_id=settled.pk)
    advanced = estimate_in_status(
        "approved", plan=plan, lines=lines_of((Source.CURRENT, 7_000_000))
    )
    long_ago = timezone.localdate() - dt.timedelta(days=70)
    _disburse(users, advanced.pk, Source.CURRENT, 4_000_000, kind="advance", paid_on=long_ago)
    namxe = estimate_in_status(
        "approved", plan=plan, unit_code="nam-xe", lines=lines_of((Source.CURRENT, 11_000_000))
    )
    _disburse(users, namxe.pk, Source.CURRENT, 5_000_000)
    district = estimate_in_status(
        "approval", plan=plan, level=Level.DISTRICT, lines=lines_of((Source.CURRENT, 13_000_000))
    )
    lapsed = estimate_in_status("closed", plan=plan, lines=lines_of((Source.CARRIED, 17_000_000)))
    return {
        "settled": settled,
        "advanced": advanced,
        "namxe": namxe,
        "district": district,
        "lapsed": lapsed,
    }


def _plan_summary() -> dict[str, Any]:
    out = io.StringIO()
    call_command("plan_summary", "--json", stdout=out)
    return json.loads(out.getvalue())


def _summary_figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "allocated": row["allocated"],
        "reserved": row["reserved"],
        "committed": row["committed"],
        "disbursed": row["disbursed"],
        "spent": row["settled"],
        "returned": row["returned"],
        "carried": row["carried"],
    }


def _fresh(user: Any) -> Any:
    """The user as a new request sees them (grants read once)."""
    from django.contrib.auth import get_user_model

    fresh = get_user_model().objects.get(pk=user.pk)
    unit_grants_of(fresh)
    return fresh


# --------------------------------------------------------------------------------------
# The figures


def test_totals_equal_plan_summary_to_the_dong(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    summary = _plan_summary()
    report = consolidated_report(users["tckh"], ReportQuery(plan=plan))

    by_cell = {(t.level, t.source): t.figures.as_dict() for t in report.level_totals}
    expected = {
        (c["level"], c["source"]): _summary_figures(c) for c in summary["envelope"]["cells"]
    }
    assert by_cell == expected
    assert report.total.as_dict() == _summary_figures(summary["envelope"]["total"])

    communes = {
        (g.code, s.source): s.figures.as_dict()
        for g in report.groups
        if g.level == Level.COMMUNE
        for s in g.sources
    }
    assert communes == {(c["code"], c["source"]): _summary_figures(c) for c in summary["communes"]}
    # The money moved is really in it (the comparison above cannot pass on zeros alone).
    total = report.total
    assert total.reserved == 13_000_000
    assert total.committed == 3_000_000 + 2_000_000 + 7_000_000 + 11_000_000
    assert total.disbursed == 5_000_000 + 4_000_000 + 5_000_000
    assert (total.spent, total.returned, total.carried) == (3_700_000, 1_000_000, 300_000)
    silolau = next(g for g in report.groups if g.code == "si-lo-lau")
    current = next(s for s in silolau.sources if s.source == Source.CURRENT)
    assert current.figures.allocated == SHARE
    district = report.groups[0]
    assert district.level == Level.DISTRICT and district.total.reserved == 13_000_000


def test_rows_are_per_unit_content_and_source(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    report = consolidated_report(users["tckh"], ReportQuery(plan=plan))
    silolau = next(g for g in report.groups if g.code == "si-lo-lau")
    content = money["settled"].content.code
    lines = {(line.content_code, line.source): line.figures for line in silolau.lines}
    assert lines[(content, Source.CURRENT)].committed == 3_000_000 + 7_000_000
    assert lines[(content, Source.CARRIED)].committed == 2_000_000  # 17.000.000 lapsed
    assert all(line.figures.allocated is None for line in silolau.lines)


def test_filters_narrow_the_money_not_the_allocation(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    tckh = users["tckh"]
    approved_only = consolidated_report(tckh, ReportQuery(plan=plan, statuses=("approved",)))
    assert approved_only.total.committed == 7_000_000 + 11_000_000
    assert (
        approved_only.total.allocated
        == consolidated_report(tckh, ReportQuery(plan=plan)).total.allocated
    )
    carried = consolidated_report(tckh, ReportQuery(plan=plan, source=Source.CARRIED))
    assert {t.source for t in carried.level_totals} == {Source.CARRIED}
    assert carried.total.committed == 2_000_000
    namxe = Unit.objects.get(code="nam-xe")
    one = consolidated_report(tckh, ReportQuery(plan=plan, unit=namxe))
    assert [g.code for g in one.groups] == ["nam-xe"]
    assert one.total.disbursed == 5_000_000
    later = consolidated_report(
        tckh, ReportQuery(plan=plan, start_from=money["namxe"].start_date + dt.timedelta(days=1))
    )
    assert later.total.committed < consolidated_report(tckh, ReportQuery(plan=plan)).total.committed


def test_a_commune_officer_sees_only_their_commune(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    report = consolidated_report(users["hoi.silolau"], ReportQuery(plan=plan))
    assert [g.code for g in report.groups] == ["si-lo-lau"]
    assert report.total.disbursed == 5_000_000 + 4_000_000
    page = page_client(users["hoi.silolau"]).get(reverse("reports:consolidated"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sì Lở Lầu" in text and "Nậm Xe" not in text
    assert "9.000.000 ₫" in text  # 5.000.000 + 4.000.000 disbursed, formatted


@pytest.mark.parametrize("which", ["other", "unknown"])
def test_a_unit_filter_the_user_may_not_see_is_refused(
    plan: Plan, users: dict[str, Any], money: dict[str, Any], which: str
) -> None:
    unit = Unit.objects.get(code="nam-xe").pk if which == "other" else 987654321
    client = page_client(users["hoi.silolau"])
    for name in ("reports:consolidated", "reports:consolidated_xlsx", "reports:decisions"):
        page = client.get(reverse(name), {"unit": unit})
        assert page.status_code == 400, name
        text = page.content.decode()
        assert "You may not see this unit, or it does not exist." in text
        assert "Nậm Xe" not in text and "11.000.000" not in text
    answer = api_client(users["hoi.silolau"]).get(
        "/api/v1/reports/consolidated/", {"unit": unit}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "unit"
    assert "You may not see this unit" in answer.json()["detail"]
    assert ReportExport.objects.count() == 0


# --------------------------------------------------------------------------------------
# Queries


#: The consolidated page costs this many queries whatever the number of estimates: the
#: session, the user (the grants kept from an earlier page), the filter's units, the
#: default plan, the report's five, the menu's inbox (with the open amendments it reads
#: first) and bell counts, the filter's option lists (plans, contents, activities), and
#: the participants per priority group (their sum, the groups).
PAGE_QUERIES = 17
#: The selector alone (the plan read with its district, as the form does): its communes,
#: cells, shares, contents, the aggregate.
REPORT_QUERIES = 5


def _page_queries(user: Any) -> int:
    client = page_client(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("reports:consolidated")).status_code == 200
    return len(ctx.captured_queries)


#: The decisions page: the same frame, the decisions' count and sum, and one page of
#: decisions with their estimate and unit.
DECISIONS_PAGE_QUERIES = 13


def test_the_decisions_page_costs_the_same_whatever_the_decisions(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    def count() -> int:
        client = page_client(users["tckh"])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("reports:decisions")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for code in ("nam-xe", "si-lo-lau"):
        estimate_in_status("approved", plan=plan, unit_code=code)
    assert count() == before == DECISIONS_PAGE_QUERIES


def test_query_counts_do_not_grow_with_the_estimates(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    tckh = _fresh(users["tckh"])
    query = ReportQuery(plan=Plan.objects.select_related("area").get(pk=plan.pk))
    with CaptureQueriesContext(connection) as ctx:
        consolidated_report(tckh, query)
    assert len(ctx.captured_queries) == REPORT_QUERIES
    before = _page_queries(users["tckh"])
    for code in ("nam-xe", "si-lo-lau"):
        estimate_in_status("approved", plan=plan, unit_code=code)
    with CaptureQueriesContext(connection) as ctx:
        consolidated_report(tckh, query)
    assert len(ctx.captured_queries) == REPORT_QUERIES
    assert _page_queries(users["tckh"]) == before == PAGE_QUERIES


# --------------------------------------------------------------------------------------
# Excel


def _sheet(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content)).worksheets[0]


def _row(ws: Any, first: str) -> list[Any]:
    for row in ws.iter_rows(values_only=True):
        if row and row[0] == first:
            return list(row)
    raise AssertionError(f"no row starting with {first!r}")


def test_the_workbook_holds_the_table_and_the_totals(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    answer = page_client(users["tckh"]).get(
        reverse("reports:consolidated_xlsx"), {"status": ["approved", "closed"]}
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == XLSX
    assert answer["Content-Disposition"].startswith("attachment; filename=")
    ws = _sheet(answer.content)
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert ws.cell(1, 1).value == "CONSOLIDATED REPORT OF THE PLAN'S MONEY"
    assert any(plan.number in t for t in texts[:4])
    assert any(t.startswith("Filters: Status: Approved") for t in texts[:4])
    assert any(t.startswith("Produced on ") for t in texts[:5])
    header = _row(ws, "Unit")
    assert header[3:] == [
        "Allocated",
        "Reserved",
        "Committed",
        "Disbursed",
        "Spent",
        "Returned",
        "Carried over",
    ]
    report = consolidated_report(
        users["tckh"], ReportQuery(plan=plan, statuses=("approved", "closed"))
    )
    grand = _row(ws, "GRAND TOTAL")
    assert grand[3:] == report.total.values()
    assert grand[4:] == [
        0,
        3_000_000 + 2_000_000 + 7_000_000 + 11_000_000,
        14_000_000,
        3_700_000,
        1_000_000,
        300_000,
    ]
    # Amount cells are integers with the number format, in every row of the table.
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Unit") + 1
    lines = 0
    for r in range(start, ws.max_row + 1):
        for c in range(4, 11):
            cell = ws.cell(r, c)
            if cell.value is not None:
                assert isinstance(cell.value, int) and cell.number_format == MONEY_FORMAT
        if ws.cell(r, 2).value not in ("All contents", "Total", None):
            lines += 1
    assert lines == report.line_count > 0


def test_the_decisions_page_workbook_and_api(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    from approvals.models import Decision

    visible = Decision.objects.filter(estimate__unit__code="si-lo-lau").order_by("issued_at", "pk")
    assert visible.count() == 3
    client = page_client(users["hoi.silolau"])
    page = client.get(reverse("reports:decisions"))
    text = page.content.decode()
    assert page.status_code == 200
    assert all(d.symbol in text for d in visible)
    assert money["namxe"].decision.symbol not in text
    total = sum(d.amount for d in visible)
    assert "Total: 3 decisions" in text and f"{total:,}".replace(",", ".") + " ₫" in text

    ws = _sheet(client.get(reverse("reports:decisions_xlsx")).content)
    header = _row(ws, "Number and symbol")
    assert header == [
        "Number and symbol",
        "Date",
        "Estimate",
        "Title",
        "Spending unit",
        "Approved amount",
    ]
    first = visible[0]
    row = _row(ws, first.symbol)
    assert row[1] == first.issued_on.strftime("%d/%m/%Y")
    assert row[2] == first.estimate.number and row[5] == first.amount
    totals = _row(ws, "Total: 3 decisions")
    assert totals[5] == total

    answer = api_client(users["hoi.silolau"]).get("/api/v1/decisions/")
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["symbol"] for r in results] == [d.symbol for d in visible]
    assert results[0]["amount"] == first.amount and results[0]["unit_name"] == "Sì Lở Lầu"
    all_of_them = api_client(users["tckh"]).get("/api/v1/decisions/").json()["results"]
    assert len(all_of_them) == 4


def test_overdue_advances_have_totals_and_a_workbook(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    client = page_client(users["ketoan"])
    page = client.get(reverse("estimates:advances_overdue"))
    text = page.content.decode()
    assert "Total: 1 advance" in text and "4.000.000 ₫" in text
    assert reverse("estimates:advances_overdue_xlsx") in text
    ws = _sheet(client.get(reverse("estimates:advances_overdue_xlsx")).content)
    row = _row(ws, money["advanced"].number)
    assert row[5] == 4_000_000 and ws.cell(1, 1).value == "ADVANCES OVERDUE"
    assert _row(ws, "Total: 1 advances")[5] == 4_000_000
    refused = page_client(users["hoi.silolau"]).get(reverse("estimates:advances_overdue_xlsx"))
    assert refused.status_code == 403


# --------------------------------------------------------------------------------------
# The API


def test_the_api_answers_json_and_excel(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    client = api_client(users["tckh"])
    answer = client.get("/api/v1/reports/consolidated/")
    assert answer.status_code == 200
    data = answer.json()
    summary = _plan_summary()
    assert data["total"] == _summary_figures(summary["envelope"]["total"])
    assert data["groups"][0]["level"] == "district"
    excel = client.get(
        "/api/v1/reports/consolidated/",
        {"format": "xlsx", "unit": money["namxe"].unit_id},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert excel.status_code == 200 and excel["Content-Type"] == XLSX
    ws = _sheet(excel.content)
    assert _row(ws, "GRAND TOTAL")[6] == 5_000_000
    mine = api_client(users["hoi.silolau"]).get("/api/v1/reports/consolidated/").json()
    assert [g["unit"]["code"] for g in mine["groups"]] == ["si-lo-lau"]
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    content = schema["paths"]["/api/v1/reports/consolidated/"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", XLSX}
    assert "/api/v1/decisions/" in schema["paths"]


# --------------------------------------------------------------------------------------
# Long exports


def test_a_long_export_runs_in_the_background_for_its_owner_only(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.REPORTS_EXPORT_ASYNC_ROWS = 2
    client = page_client(users["tckh"])
    offer = client.get(reverse("reports:consolidated_xlsx"), {"source": "current"})
    assert offer.status_code == 200 and offer["Content-Type"].startswith("text/html")
    assert ReportExport.objects.count() == 0  # reading wrote nothing
    assert 'name="source" value="current"' in offer.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            reverse("reports:export_create"), {"kind": "consolidated", "source": "current"}
        )
    export = ReportExport.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse(
        "reports:export", args=[export.pk]
    )
    assert export.status == ExportStatus.READY and export.rows_done == export.rows_total > 2
    page = client.get(started["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    file = client.get(reverse("reports:export_file", args=[export.pk]))
    assert file.status_code == 200 and file["Content-Type"] == XLSX
    assert "attachment" in file["Content-Disposition"]
    ws = _sheet(b"".join(file.streaming_content))
    report = consolidated_report(users["tckh"], ReportQuery(plan=plan, source="current"))
    assert _row(ws, "GRAND TOTAL")[3:] == report.total.values()
    other = page_client(users["pho.chutich"])
    assert other.get(reverse("reports:export", args=[export.pk])).status_code == 404
    assert other.get(reverse("reports:export_file", args=[export.pk])).status_code == 404


def test_a_pending_export_refreshes_its_page(
    plan: Plan, users: dict[str, Any], money: dict[str, Any]
) -> None:
    export = ReportExport.objects.create(
        user=users["tckh"], kind="consolidated", params={"filters": {}}, rows_total=10, rows_done=4
    )
    page = page_client(users["tckh"]).get(reverse("reports:export", args=[export.pk]))
    text = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in text
    assert 'value="40"' in text and "4 of 10 rows written." in text
    assert (
        page_client(users["tckh"]).get(reverse("reports:export_file", args=[export.pk])).status_code
        == 404
    )


def test_an_export_checks_the_filters_again_when_it_runs(plan: Plan, users: dict[str, Any]) -> None:
    """A right withdrawn between the request and the task leaves nothing to download."""
    from reports.exports import export_run

    namxe = Unit.objects.get(code="nam-xe").pk
    export = ReportExport.objects.create(
        user=users["hoi.silolau"],
        kind="consolidated",
        params={"filters": {"unit": [str(namxe)]}, "language": "en"},
    )
    export_run(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and not export.file
    assert "You may not see this unit" in export.error


def test_the_menu_offers_the_reports_to_the_money_roles(plan: Plan, users: dict[str, Any]) -> None:
    link = f'href="{reverse("reports:consolidated")}"'
    for name in ("hoi.huyen", "tckh", "pho.chutich", "ketoan", "kiemtoan"):
        assert link in page_client(users[name]).get(reverse("estimates:list")).content.decode(), (
            name
        )
    for name in ("hoi.silolau", "ubnd.silolau", "quansat"):
        assert (
            link not in page_client(users[name]).get(reverse("estimates:list")).content.decode()
        ), name


def test_every_figure_column_is_exported() -> None:
    assert FIGURES == (
        "allocated",
        "reserved",
        "committed",
        "disbursed",
        "spent",
        "returned",
        "carried",
    )
