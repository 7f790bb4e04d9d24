"""The dashboard: its figures are the ledger's (per envelope cell equal to
``cell_balances``, per commune to ``commune_balances``), an approval shows at once, the
disbursement line ends at the total disbursed, a commune officer sees their commune only,
a commune filter they may not use is refused, the page costs a fixed number of queries,
and it is all in Vietnamese when the language is Vietnamese."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import services
from core.money import format_vnd
from estimates.models import Level, Plan, Source
from ledger.selectors import cell_balances, commune_balances
from organization.models import Unit
from reports.consolidated import Figures
from reports.dashboard import WIDTH, bar_chart, dashboard, line_chart
from reports.filters import ReportQuery
from tests.factories import estimate_in_status, lines_of
from tests.reports.test_consolidated import money  # noqa: F401 - the shared fixture
from tests.reports.test_workbooks import page_client

pytestmark = pytest.mark.django_db


def _page(user: Any, **params: Any) -> Any:
    return page_client(user).get(reverse("dashboard"), params)


def _rows(html: str, table_after: str) -> dict[str, list[str]]:
    """The rows of the first table after the heading ``table_after``: label -> cells."""

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.seen = self.inside = self.body = False
            self.rows: dict[str, list[str]] = {}
            self.row: list[str] | None = None
            self.cell: list[str] | None = None
            self.heading = ""
            self.in_h2 = False

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag == "h2":
                self.in_h2, self.heading = True, ""
            if self.seen and tag == "table" and not self.rows:
                self.inside = True
            if self.inside and tag == "tbody":
                self.body = True
            if self.inside and self.body and tag == "tr":
                self.row = []
            if self.inside and tag in ("td", "th") and self.row is not None:
                self.cell = []

        def handle_endtag(self, tag: str) -> None:
            if tag == "h2":
                self.in_h2 = False
                self.seen = self.seen or self.heading.strip() == table_after
            if self.inside and tag in ("td", "th") and self.cell is not None:
                assert self.row is not None
                self.row.append(" ".join("".join(self.cell).split()))
                self.cell = None
            if self.inside and tag == "tr" and self.row:
                self.rows[self.row[0]] = self.row[1:]
                self.row = None
            if self.inside and tag == "table":
                self.inside, self.seen, self.body = False, False, False

        def handle_data(self, data: str) -> None:
            if self.in_h2:
                self.heading += data
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(html)
    return parser.rows


# --------------------------------------------------------------------------------------
# The figures


def test_cells_and_communes_equal_the_ledger(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    board = dashboard(users["tckh"], ReportQuery(plan=plan))
    shown = [
        (i.figures.allocated, i.figures.committed, i.figures.disbursed, i.figures.spent)
        for i in board.cells.items
    ]
    ledger = [(c.allocated, c.committed, c.disbursed, c.spent) for c in cell_balances(plan)]
    assert shown == ledger
    committed = sum(c.committed for c in cell_balances(plan))
    assert committed == 3_000_000 + 2_000_000 + 7_000_000 + 11_000_000
    communes = {i.label: i.figures for i in board.communes.items}
    for c in commune_balances(plan):
        assert c.name in communes
    silolau = communes["Sì Lở Lầu"]
    expected = [c for c in commune_balances(plan) if c.code == "si-lo-lau"]
    assert silolau.committed == sum(c.committed for c in expected)
    assert silolau.disbursed == sum(c.disbursed for c in expected) == 9_000_000
    assert silolau.spent == sum(c.spent for c in expected) == 3_700_000
    contents = {i.label.split(". ")[0]: i.figures for i in board.contents.items}
    assert contents[money["settled"].content.code].disbursed >= 9_000_000
    # The line ends at the total disbursed.
    assert board.progress.total == board.total.disbursed == 14_000_000


def test_the_page_shows_the_ledger_figures_in_tables(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    page = _page(users["tckh"])
    assert page.status_code == 200
    html = page.content.decode()
    rows = _rows(html, "Per envelope cell (level and source)")
    for cell in cell_balances(plan):
        level = cell.level_label  # the plan's own word for the level
        row = rows[f"{level} · {cell.label}"]
        assert row == [
            format_vnd(cell.allocated),
            format_vnd(cell.committed),
            format_vnd(cell.disbursed),
            format_vnd(cell.spent),
        ]
    progress = _rows(html, "Disbursement progress")
    this_month = timezone.localdate().strftime("%m/%Y")
    assert progress[this_month][1] == format_vnd(14_000_000)
    assert 'role="img"' in html and "<title>Per commune</title>" in html


def test_an_approval_shows_its_committed_amount(plan: Plan, users: dict[str, Any]) -> None:
    def committed() -> str:
        rows = _rows(_page(users["tckh"]).content.decode(), "Per commune")
        return rows["Nậm Xe"][1]

    before = committed()
    estimate_in_status(
        "approved", plan=plan, unit_code="nam-xe", lines=lines_of((Source.CURRENT, 23_000_000))
    )
    assert before == format_vnd(0)
    assert committed() == format_vnd(23_000_000)
    current = next(
        c for c in cell_balances(plan) if (c.level, c.source) == (Level.COMMUNE, Source.CURRENT)
    )
    assert current.committed == 23_000_000


def test_the_disbursement_line_is_cumulative_by_month(plan: Plan) -> None:
    start = plan.period_start
    first = dt.date(start.year, start.month, 1)
    second = (first + dt.timedelta(days=32)).replace(day=1)
    chart = line_chart(plan, {first: 5_000_000, second: 3_000_000}, today=second)
    shown = [m for m in chart.months if m.shown]
    assert [m.cumulative for m in shown] == [5_000_000, 8_000_000]
    assert chart.total == 8_000_000
    # The highest point is at the top of the frame, nothing is drawn after "today".
    assert shown[-1].y == chart.top_y
    assert len(chart.months) > len(shown)
    assert chart.points.count(",") == 2


def test_bars_scale_to_the_largest_amount() -> None:
    chart = bar_chart(
        [("A", Figures(100, committed=50, disbursed=1)), ("B", Figures(None, committed=0))]
    )
    a, b = chart.items
    widths = {bar.measure: bar.width for bar in a.bars}
    assert widths == {"allocated": WIDTH, "committed": WIDTH // 2, "disbursed": 3, "spent": 0}
    assert b.bars[0].amount is None and b.y > a.bars[-1].y
    long = bar_chart([("x" * 80, Figures(1))]).items[0]
    assert long.short_label.endswith("…") and len(long.short_label) < 80


# --------------------------------------------------------------------------------------
# Access


def test_a_commune_officer_sees_only_their_commune(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    page = _page(users["hoi.silolau"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sì Lở Lầu" in html and "Nậm Xe" not in html
    assert "11.000.000" not in html and "14.000.000" not in html
    assert _rows(html, "Per commune")["Sì Lở Lầu"][2] == format_vnd(9_000_000)
    board = dashboard(users["hoi.silolau"], ReportQuery(plan=plan))
    assert board.progress.total == 9_000_000


@pytest.mark.parametrize("which", ["other", "unknown"])
def test_a_commune_filter_the_user_may_not_see_is_refused(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],  # noqa: F811 - the fixture imported above
    which: str,
) -> None:
    unit = Unit.objects.get(code="nam-xe").pk if which == "other" else 987654321
    page = _page(users["hoi.silolau"], unit=unit)
    assert page.status_code == 400
    html = page.content.decode()
    assert "You may not see this unit, or it does not exist." in html
    assert "Nậm Xe" not in html and "11.000.000" not in html and 'role="img"' not in html
    vi = _client(users["hoi.silolau"], "vi").get(reverse("dashboard"), {"unit": unit})
    assert vi.status_code == 400
    assert "Bạn không được xem đơn vị này" in vi.content.decode()


def test_filters_narrow_the_figures(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    namxe = Unit.objects.get(code="nam-xe")
    html = _page(users["tckh"], unit=namxe.pk, source=Source.CURRENT).content.decode()
    communes = _rows(html, "Per commune")
    assert list(communes) == ["Nậm Xe"]
    assert communes["Nậm Xe"][2] == format_vnd(5_000_000)
    approved = _page(users["tckh"], status="closed").content.decode()
    assert "Nậm Xe" in approved
    assert _rows(approved, "Per commune")["Nậm Xe"][1] == format_vnd(0)


def test_the_menu_offers_the_dashboard_to_who_sees_estimates(
    plan: Plan, users: dict[str, Any]
) -> None:
    link = f'href="{reverse("dashboard")}"'
    for name in ("tckh", "hoi.silolau"):
        assert link in page_client(users[name]).get(reverse("estimates:list")).content.decode()


# --------------------------------------------------------------------------------------
# Queries


#: The page costs this many queries whatever the number of estimates: the session, the
#: user (the grants kept from an earlier page), the filter's units, the default plan, the
#: report's five, the disbursements per month, the menu's inbox and bell counts, and the
#: filter's option lists (plans, contents).
PAGE_QUERIES = 15


def test_the_page_costs_the_same_whatever_the_estimates(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    def count() -> int:
        client = page_client(users["tckh"])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for code in ("nam-xe", "si-lo-lau"):
        approved = estimate_in_status("approved", plan=plan, unit_code=code)
        services.estimate_disburse(
            actor=users["ketoan"],
            estimate_id=approved.pk,
            kind="payment",
            paid_on=timezone.localdate(),
            amount=1_000_000,
            source=Source.CURRENT,
            document_type="payment_order",
            document_number=f"UNC-{approved.pk}",
            payee="Hội LHPN",
        )
    assert count() == before == PAGE_QUERIES


# --------------------------------------------------------------------------------------
# Language


def _client(user: Any, language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def _texts(html: str) -> set[str]:
    """The words people read: text between tags and the labels of attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    texts = {t.strip() for t in re.findall(r">([^<]+)<", html)}
    texts |= {t.strip() for t in re.findall(r'(?:title|aria-label|placeholder)="([^"]+)"', html)}
    return {t for t in texts if re.search(r"[A-Za-z]{3}", t)}


def test_every_text_is_vietnamese_when_the_language_is(
    plan: Plan,
    users: dict[str, Any],
    money: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    english = _client(users["tckh"], "en").get(reverse("dashboard")).content.decode()
    vietnamese = _client(users["tckh"], "vi").get(reverse("dashboard")).content.decode()
    assert "Disbursement progress" in english
    same = _texts(english) & _texts(vietnamese)
    # What stays the same in both languages is data (names, numbers, codes), not words of
    # the interface: none of the English page's own words is left.
    interface = {t for t in same if re.search(r"\b(the|of|and|per|in|to|by)\b", t, re.I)}
    assert interface == set(), interface
    for word in ("Dashboard", "Allocated", "Committed", "Disbursed", "Settled", "Month"):
        assert f">{word}<" not in vietnamese
