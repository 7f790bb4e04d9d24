"""Every list page's "Download Excel" gives exactly what the page lists under its filters
(every page of it), with its header, integer money cells and totals; under the same access
rules as the page; at a fixed number of queries whatever the number of rows. Its "Print"
link gives the whole list laid out for A4."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import SecurityEvent
from core.money import format_vnd
from delegations.models import Delegation
from estimates.models import Estimate, Plan
from ledger.selectors import cell_balances, commune_balances
from notifications.models import EventKind, Notification, OutboxEvent
from organization.models import Membership, Unit
from reports.models import ExportStatus, ReportExport
from reports.workbooks import XLSX
from tests.factories import estimate_in_status, estimates_bulk

OFFICER = "hoi.silolau"
DISTRICT = "hoi.huyen"


def rows_of(response: Any) -> list[tuple[Any, ...]]:
    """The cells of the exported sheet, row by row (trailing empty cells dropped)."""
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="')
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = []
    for row in ws.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(tuple(values))
    return rows


def table(rows: list[tuple[Any, ...]], first_title: str) -> tuple[list[Any], list[Any]]:
    """The data rows and the totals row of the table whose header starts ``first_title``."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_title) + 1
    end = next(i for i in range(start, len(rows)) if str(rows[i][0]).startswith("Total ("))
    return rows[start:end], list(rows[end])


@pytest.fixture
def estimates(plan: Plan, users: dict[str, Any]) -> list[Estimate]:
    """Sì Lở Lầu: a draft, one in review, one approved; Nậm Xe: one in review."""
    return [
        estimate_in_status("draft", plan=plan, drafter=users[OFFICER]),
        estimate_in_status("review", plan=plan, drafter=users[OFFICER]),
        estimate_in_status("approved", plan=plan, drafter=users[OFFICER]),
        estimate_in_status("review", plan=plan, drafter=users["hoi.namxe"]),
    ]


# ---------------------------------------------------------------------------------------
# The estimate list


def test_the_list_export_holds_every_row_the_page_lists_with_its_totals(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    like = estimates[1]
    estimates_bulk(like, 30, ("review", "appraisal"))  # more than one page (25)
    client.force_login(users[DISTRICT])
    page = client.get(reverse("estimates:list"))
    assert page.context["page"].paginator.num_pages == 2
    printed = client.get(reverse("estimates:list"), {"print": "1"})
    listed = list(printed.context["page"].object_list)
    assert len(listed) == Estimate.objects.count() == 34

    rows = rows_of(client.get(reverse("estimates:list_export")))
    assert rows[0] == ("Estimates",)
    assert rows[1] == ("Filters: none",)
    assert rows[2][0].startswith(f"Produced on {timezone.localdate():%d/%m/%Y}")
    data, totals = table(rows, "Estimate")
    assert [r[0] for r in data] == [e.number for e in listed]
    approved = Estimate.objects.get(pk=estimates[2].pk)
    row = next(r for r in data if r[0] == approved.number)
    assert row[2] == "Sì Lở Lầu"
    assert row[6:9] == (
        approved.total_amount,
        approved.appraised_amount,
        approved.approved_amount,
    )
    assert all(isinstance(v, int) for v in row[6:9])
    page_totals = page.context["totals"]
    assert totals[0] == "Total (34 rows)"
    assert totals[6:9] == [
        page_totals["requested"],
        page_totals["appraised"],
        page_totals["approved"],
    ]
    assert page_totals["requested"] == sum(e.total_amount for e in listed)
    assert page_totals["approved"] == approved.approved_amount > 0


def test_the_list_export_follows_the_filters_and_names_them(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    client.force_login(users[DISTRICT])
    nam_xe = Unit.objects.get(code="nam-xe")
    query = {"status": "review", "unit": nam_xe.pk, "page": "2"}
    rows = rows_of(client.get(reverse("estimates:list_export"), query))
    status = "Status: Awaiting Women's Union review"
    assert rows[1] == (f"Filters: {status}; Commune: {nam_xe.name}",)
    data, totals = table(rows, "Estimate")
    assert [r[0] for r in data] == [estimates[3].number]
    assert totals[6] == estimates[3].total_amount


def test_a_long_list_export_is_produced_in_the_background_with_its_filters(
    client: Client,
    users: dict[str, Any],
    estimates: list[Estimate],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.REPORTS_EXPORT_ASYNC_ROWS = 1
    estimates_bulk(estimates[1], 5, ("review",))
    client.force_login(users[DISTRICT])
    query = {"status": "review"}
    offer = client.get(reverse("estimates:list_export"), query)
    assert offer.status_code == 200 and offer["Content-Type"].startswith("text/html")
    assert ReportExport.objects.count() == 0  # asking wrote nothing
    body = offer.content.decode()
    assert 'name="kind" value="estimates"' in body and 'name="status" value="review"' in body
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("reports:export_create"), {"kind": "estimates", **query})
    export = ReportExport.objects.get()
    assert started.status_code == 302
    assert export.status == ExportStatus.READY and export.rows_done == export.rows_total == 7
    file = client.get(reverse("reports:export_file", args=[export.pk]))
    content = b"".join(file.streaming_content)
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [tuple(c for c in r if c is not None) for r in ws.iter_rows(values_only=True)]
    data, totals = table(rows, "Estimate")
    waiting = Estimate.objects.filter(status="review")
    assert sorted(r[0] for r in data) == sorted(waiting.values_list("number", flat=True))
    assert totals[0] == "Total (7 rows)"
    # The inbox too, for its owner only: the offer counts only far enough to tell it is
    # long; the background export counts its rows exactly for its progress.
    inbox_offer = client.get(reverse("estimates:inbox_export"))
    assert inbox_offer["Content-Type"].startswith("text/html")
    assert inbox_offer.context["rows_more_than"] == 1
    assert offer.context["rows_more_than"] is None  # the list's count is exact (the tally)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:export_create"), {"kind": "inbox"})
    inbox = ReportExport.objects.get(kind="inbox")
    assert inbox.status == ExportStatus.READY and inbox.rows_total == 7
    client.force_login(users[OFFICER])
    assert client.get(reverse("reports:export", args=[inbox.pk])).status_code == 404


def test_a_commune_officers_export_holds_only_their_commune(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    client.force_login(users[OFFICER])
    data, totals = table(rows_of(client.get(reverse("estimates:list_export"))), "Estimate")
    assert sorted(r[0] for r in data) == sorted(e.number for e in estimates[:3])
    assert {r[2] for r in data} == {"Sì Lở Lầu"}
    assert estimates[3].number not in str(data)
    assert totals[6] == sum(e.total_amount for e in estimates[:3])


def test_an_export_filtered_on_a_commune_the_user_may_not_see_is_refused(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    client.force_login(users[OFFICER])
    nam_xe = Unit.objects.get(code="nam-xe")
    response = client.get(reverse("estimates:list_export"), {"unit": nam_xe.pk})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "Commune:" in text and "valid choice" in text
    assert estimates[3].number not in text


def test_the_list_page_shows_the_totals_of_the_filtered_selection(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    client.force_login(users[DISTRICT])
    approved = Estimate.objects.get(pk=estimates[2].pk)
    html = client.get(reverse("estimates:list"), {"status": "approved"}).content.decode()
    footer = html[html.index("<tfoot>") : html.index("</tfoot>")]
    assert "Total of 1 estimate" in footer
    # requested, appraised (no cut) and approved
    assert footer.count(format_vnd(approved.total_amount)) == 3
    html = client.get(reverse("estimates:list")).content.decode()
    requested = sum(e.total_amount for e in estimates)
    assert format_vnd(requested) in html[html.index("<tfoot>") :]


def test_the_inbox_export_lists_what_waits_for_the_user(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    client.force_login(users[DISTRICT])
    page = client.get(reverse("estimates:inbox"))
    data, totals = table(rows_of(client.get(reverse("estimates:inbox_export"))), "Estimate")
    assert [r[0] for r in data] == [e.number for e in page.context["page"].object_list]
    assert {r[0] for r in data} == {estimates[1].number, estimates[3].number}
    assert totals[6] == estimates[1].total_amount + estimates[3].total_amount


# ---------------------------------------------------------------------------------------
# The other lists


def test_the_envelope_export_equals_the_ledgers_figures(
    client: Client, users: dict[str, Any], plan: Plan, estimates: list[Estimate]
) -> None:
    client.force_login(users[OFFICER])
    assert client.get(reverse("estimates:envelope_export")).status_code == 403
    client.force_login(users["tckh"])
    rows = rows_of(client.get(reverse("estimates:envelope_export")))
    cells = [c for c in cell_balances(plan) if c.level == "commune"]
    data, totals = table(rows, "Commune-level cell")
    assert [r[0] for r in data] == [c.label for c in cells]
    assert totals[1] == sum(c.allocated for c in cells)
    assert totals[4] == sum(c.committed for c in cells) > 0
    per_commune = commune_balances(plan)
    data, totals = table(rows, "Commune")
    assert len(data) == len(per_commune)
    assert totals[3] == sum(r.reserved + r.committed for r in per_commune)
    assert totals[5] == sum(r.disbursed for r in per_commune)


def test_the_unit_tree_export_lists_every_unit_indented(
    client: Client, users: dict[str, Any]
) -> None:
    client.force_login(users[OFFICER])
    data, totals = table(rows_of(client.get(reverse("unit_tree_export"))), "Unit")
    assert len(data) == Unit.objects.filter(is_active=True).count()
    assert totals[0] == f"Total ({len(data)} rows)"
    [commune] = [r for r in data if r[0].strip() == "Sì Lở Lầu"]
    assert commune[0].startswith("        ")  # province > district > commune
    assert commune[3] == "si-lo-lau"


def test_the_refusal_export_is_the_auditors(client: Client, users: dict[str, Any]) -> None:
    SecurityEvent.objects.bulk_create(
        SecurityEvent(path=f"/estimates/{n}/approve/", method="POST", message=f"refusal {n}")
        for n in range(1, 106)
    )
    client.force_login(users[OFFICER])
    assert client.get(reverse("security_refusals_export")).status_code == 403
    client.force_login(users["kiemtoan"])
    data, _totals = table(rows_of(client.get(reverse("security_refusals_export"))), "When")
    refusals = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REFUSED)
    assert len(data) == refusals.count() == 106  # the officer's refusal too; no sign-ins
    assert data[1][5] == "refusal 105"


def _notify(user: Any, count: int) -> None:
    events = OutboxEvent.objects.bulk_create(
        OutboxEvent(kind=EventKind.SUBMITTED) for _n in range(count)
    )
    Notification.objects.bulk_create(
        Notification(recipient=user, event=event, title=f"Note {n}")
        for n, event in enumerate(events)
    )


def _delegate(delegator: Any, delegate: Any, count: int = 1) -> None:
    """Rows to list (the services' rules on who may be delegated to are not the point)."""
    today = timezone.localdate()
    membership = Membership.objects.filter(user=delegator).first()
    Delegation.objects.bulk_create(
        Delegation(
            delegator=delegator,
            delegate=delegate,
            membership=membership,
            starts_on=today,
            ends_on=today + dt.timedelta(days=3),
            reason="Nghỉ phép",
            created_by=delegator,
        )
        for _n in range(count)
    )


def test_the_notification_export_holds_the_users_own(client: Client, users: dict[str, Any]) -> None:
    _notify(users[OFFICER], 3)
    _notify(users[DISTRICT], 2)
    client.force_login(users[DISTRICT])
    data, totals = table(rows_of(client.get(reverse("notification_export"))), "Notification")
    assert sorted(r[0] for r in data) == ["Note 0", "Note 1"]
    assert totals[0] == "Total (2 rows)"


def test_the_delegation_export_holds_given_and_received(
    client: Client, users: dict[str, Any]
) -> None:
    ketoan, today = users["ketoan"], timezone.localdate()
    _delegate(ketoan, users["tckh"])
    _delegate(users["pho.chutich"], users["hoi.huyen"])  # not ketoan's: not listed
    client.force_login(ketoan)
    rows = rows_of(client.get(reverse("delegation_export")))
    assert ("Delegations I gave",) in rows and ("Delegations I received",) in rows
    given = rows[rows.index(("Delegations I gave",)) + 2]
    assert given[5:7] == ("Nghỉ phép", "In force")
    assert rows[rows.index(("Delegations I gave",)) + 3][0] == "Total (1 rows)"
    assert rows[rows.index(("Delegations I received",)) + 2][0] == "Total (0 rows)"
    assert given[3] == f"{today:%d/%m/%Y}"


# ---------------------------------------------------------------------------------------
# Query counts: fixed whatever the number of rows

#: Session and user (2), the permission look-ups the page needs (the grants kept from the
#: warming request), and the rows.
PINNED = {
    "estimates:list_export": 4,  # + the count (the tally), which decides on the background
    "estimates:inbox_export": 5,  # + the open amendments of the user's stages, + the count
    "estimates:envelope_export": 8,  # + the units a reorganisation succeeded (lineage)
    "unit_tree_export": 3,
    "security_refusals_export": 5,
    "notification_export": 3,
    "delegation_export": 4,
}


def _more_rows(plan: Plan, users: dict[str, Any], like: Estimate) -> None:
    estimates_bulk(like, 200, ("review", "appraisal", "draft"))
    SecurityEvent.objects.bulk_create(
        SecurityEvent(path="/x/", method="POST", message="no") for _n in range(200)
    )
    for name in ("kiemtoan", "tckh", DISTRICT):
        _notify(users[name], 200)
    _delegate(users["tckh"], users["pho.chutich"], 20)
    _delegate(users["pho.chutich"], users["tckh"], 20)
    Unit.objects.bulk_create(
        Unit(code=f"extra-{n}", name=f"Extra {n}", kind="village", parent=like.unit)
        for n in range(20)
    )


USERS = {
    "estimates:envelope_export": "tckh",
    "security_refusals_export": "kiemtoan",
    "delegation_export": "tckh",
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_export_query_counts_are_pinned_and_do_not_grow(
    client: Client,
    users: dict[str, Any],
    plan: Plan,
    django_assert_num_queries: Any,
    name: str,
) -> None:
    like = estimate_in_status("review", plan=plan, drafter=users[OFFICER])
    client.force_login(users[USERS.get(name, DISTRICT)])
    url = reverse(name)
    assert client.get(url).status_code == 200  # warm the content-type cache
    with django_assert_num_queries(PINNED[name]):
        small = client.get(url)
    _more_rows(plan, users, like)
    with django_assert_num_queries(PINNED[name]):
        large = client.get(url)
    assert len(large.content) > len(small.content) or name == "estimates:envelope_export"


# ---------------------------------------------------------------------------------------
# Print


def test_the_print_stylesheet_is_served_and_linked_from_every_page(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    path = finders.find("css/print.css")
    assert path
    css = Path(path).read_text(encoding="utf-8")
    for rule in ("@page", "size: A4", "counter(page)", "@media print", "table-header-group"):
        assert rule in css, rule
    assert finders.find("js/print.js")
    client.force_login(users[DISTRICT])
    for url in (
        reverse("estimates:list"),
        reverse("estimates:inbox"),
        reverse("estimates:detail", args=[estimates[1].pk]),
        reverse("unit_tree"),
        reverse("notification_list"),
        reverse("delegation_list"),
    ):
        html = client.get(url).content.decode()
        assert "/static/css/print.css" in html and "/static/js/print.js" in html, url
        assert "<script>" not in html, url  # scripts come from static files only
        assert "?print=1" in html, url


def test_the_printable_list_holds_every_row_and_no_pager(
    client: Client, users: dict[str, Any], estimates: list[Estimate]
) -> None:
    estimates_bulk(estimates[1], 30, ("review",))
    client.force_login(users[DISTRICT])
    html = client.get(reverse("estimates:list"), {"print": "1", "status": "review"}).content
    text = html.decode()
    assert '<body class="print">' in text
    assert text.count("<tr>") == 1 + 32  # the header and every row
    assert 'class="pager"' not in text
    assert "Filters: Status: Awaiting Women&#x27;s Union review." in text
