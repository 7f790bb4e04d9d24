"""The district's report: its totals are the sum of the accepted commune reports (the
latest accepted version of each), and its money equals the ledger's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from approvals import services as approvals_services
from ledger.models import Disbursement
from organization.models import Unit
from progress import services
from progress.models import ProgressReport
from tests.factories import demo_user, estimate_in_status

from .helpers import DISTRICT_WU, indicator, period, report_in_status, report_input

pytestmark = pytest.mark.django_db


def _pay(unit_code: str, amount: int, paid_on: dt.date) -> None:
    estimate = estimate_in_status("approved", unit_code=unit_code)
    approvals_services.estimate_disburse(
        actor=demo_user("ketoan"),
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=paid_on,
        amount=amount,
        source="current",
        document_type="payment_order",
        document_number=f"UNC-{unit_code}",
        payee="Hội LHPN xã",
    )


def test_district_totals_are_the_accepted_reports_and_the_ledger(plan):
    # In quarter II, after the factories' approval (01/06/2024): never paid before it.
    _pay("si-lo-lau", 1_250_000, dt.date(2024, 6, 10))
    _pay("nam-xe", 2_000_000, dt.date(2024, 6, 3))
    _pay("nam-xe", 700_000, dt.date(2024, 7, 15))  # next quarter: not in quarter II
    a = report_in_status(plan, "accepted", unit_code="si-lo-lau", women=30, events=3)
    b = report_in_status(plan, "submitted", unit_code="nam-xe", women=50, events=5)
    district = demo_user(DISTRICT_WU)
    # Sì Lở Lầu corrects its accepted report: version 2 counts once accepted.
    officer = demo_user("hoi.silolau")
    a2 = services.report_correct(actor=officer, report_id=a.pk)
    services.report_update(
        actor=officer, report_id=a2.pk, data=report_input(plan, women=35, events=4)
    )
    services.report_submit(actor=officer, report_id=a2.pk)
    area = plan.area
    report = services.district_report_consolidate(
        actor=district, period_id=period(plan).pk, unit_id=area.pk
    )
    s = report.snapshot
    assert [c["name"] for c in s["communes_accepted"]] == ["Sì Lở Lầu"]
    assert s["communes_accepted"][0]["version"] == 1
    services.report_accept(actor=district, report_id=a2.pk)
    services.report_accept(actor=district, report_id=b.pk)
    report = services.district_report_consolidate(
        actor=district, period_id=period(plan).pk, unit_id=area.pk
    )
    s = report.snapshot
    assert {c["name"]: c["version"] for c in s["communes_accepted"]} == {
        "Sì Lở Lầu": 2,
        "Nậm Xe": 1,
    }
    accepted = ProgressReport.objects.filter(pk__in=[a2.pk, b.pk])
    lines = [line for r in accepted for line in r.activities.all()]
    assert s["totals"]["women"] == sum(x.participants_women for x in lines) == 85
    assert s["totals"]["men"] == sum(x.participants_men for x in lines)
    spent = sum(x.spent for x in lines)
    in_quarter = Disbursement.objects.filter(
        estimate__plan=plan,
        estimate__unit__in=Unit.objects.filter(code__in=["si-lo-lau", "nam-xe"]),
        paid_on__range=(dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
    ).aggregate(total=Sum("amount"))["total"]
    assert s["totals"]["spent_reported"] == spent == in_quarter == 3_250_000
    assert s["totals"]["paid_communes"] == in_quarter
    events = next(
        i
        for c in s["contents"]
        for a_ in c["activities"]
        for i in a_["indicators"]
        if i["code"] == "su-kien-tt"
    )
    assert events["result"] == 4 + 5
    assert events["target"] is None and events["target_source"] == ""
    by_content = {c["code"]: c["spent_reported"] for c in s["contents"]}
    assert sum(by_content.values()) == spent
    assert s["totals"]["allocated_commune"] == 4_329_170_000
    assert s["recipients"][0] == "Hội LHPN tỉnh"
    assert [m["name"] for m in s["communes_missing"]][:1] == ["Vàng Ma Chải"]


def test_submitted_upward_is_final_and_tells_the_district_leaders(plan):
    report_in_status(plan, "accepted")
    district = demo_user(DISTRICT_WU)
    report = services.district_report_consolidate(
        actor=district, period_id=period(plan).pk, unit_id=plan.area_id
    )
    services.district_report_submit(actor=district, report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "submitted"
    assert report.snapshot["totals"]["women"] == 10
    from notifications.models import OutboxEvent

    assert (
        demo_user("pho.chutich").pk
        in OutboxEvent.objects.get(kind="report.submitted_upward").recipients
    )
    again = services.district_report_consolidate(
        actor=district, period_id=period(plan).pk, unit_id=plan.area_id
    )
    assert (again.version, again.status) == (2, "draft")


def test_a_commune_officer_does_not_consolidate(plan):
    with pytest.raises(Exception) as refused:
        services.district_report_consolidate(
            actor=demo_user("hoi.silolau"), period_id=period(plan).pk, unit_id=plan.area_id
        )
    assert refused.value.field == "unit"  # type: ignore[attr-defined]
    assert not ProgressReport.objects.filter(level="district").exists()


def test_district_level_indicators_are_entered_by_the_district(plan):
    district = demo_user(DISTRICT_WU)
    report = services.district_report_consolidate(
        actor=district,
        period_id=period(plan).pk,
        unit_id=plan.area_id,
        values=[services.ValueInput(indicator_id=indicator(plan, "goi-chinh-sach").pk, value=4)],
    )
    found = [
        i
        for c in report.snapshot["contents"]
        for a in c["activities"]
        for i in a["indicators"]
        if i["code"] == "goi-chinh-sach"
    ]
    assert found == [
        {
            "code": "goi-chinh-sach",
            "name": found[0]["name"],
            "unit": "gói",
            "level": "district",
            "target": 4,
            "target_source": "plan",
            "result": 4,
        }
    ]


def test_the_money_is_the_ledgers_even_after_an_edit_while_submitted(plan):
    _pay("nam-xe", 2_000_000, dt.date(2024, 6, 3))
    report = report_in_status(plan, "submitted", unit_code="nam-xe")
    paid = {a.activity.code: a.spent for a in report.activities.all()}
    assert sum(paid.values()) == 2_000_000
    services.report_update(
        actor=demo_user("hoi.namxe"), report_id=report.pk, data=report_input(plan, women=1)
    )
    assert sum(a.spent for a in report.activities.all()) == 2_000_000
