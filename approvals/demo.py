"""A handful of demo estimates at every stage, made through the real services, so that a
new user of the embedded default sees the product alive and every demo role has work."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from estimates.models import Activity, Estimate, Plan
from estimates.plan_loader import check_plan_data, plan_load, read_plan_file
from ledger.models import Tranche
from organization.demo import EXAMPLE_DEMO_USERS, demo_users_create
from organization.models import Unit

from . import services
from .services import EstimateInput, LineCut, LineInput
from .services.decisions import decision_issuers_load


def _input(
    plan: Plan,
    activity_code: str,
    title: str,
    lines: list[LineInput],
    start: dt.date,
    villages: list[Unit],
    women: int = 0,
    girls: int = 0,
    men: int = 0,
) -> EstimateInput:
    return EstimateInput(
        activity_id=Activity.objects.get(content__plan=plan, code=activity_code).pk,
        title=title,
        purpose=title,
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        village_ids=[v.pk for v in villages],
        participants_women=women,
        participants_girls=girls,
        participants_men=men,
        lines=lines,
    )


@transaction.atomic
def demo_estimates_create(plan: Plan) -> list[Estimate]:
    """Create the demo estimates once (nothing happens if any estimate exists)."""
    if Estimate.objects.exists():
        return []
    users = {u.username: u for u in get_user_model().objects.all()}
    commune_a = Unit.objects.get(code="si-lo-lau")
    commune_b = Unit.objects.get(code="nam-xe")
    district = Unit.objects.get(code="phong-tho")
    villages_a = list(commune_a.children.filter(kind="village")[:3])
    villages_b = list(commune_b.children.filter(kind="village")[:4])
    officer_a, officer_b = users["hoi.silolau"], users["hoi.huyen"]
    made: list[Estimate] = []

    def create(actor: Any, unit: Unit, data: EstimateInput) -> Estimate:
        est = services.estimate_create(actor=actor, plan=plan, unit=unit, data=data)
        made.append(est)
        return est

    def lines_club() -> list[LineInput]:
        return [
            LineInput("Nước uống, hoa quả cho thành viên CLB", "người", 30, 20_000, 4),
            LineInput("Tài liệu sinh hoạt CLB", "bộ", 30, 15_000, 1, "carried"),
            LineInput("Thù lao dẫn trình viên", "buổi", 4, 200_000, 1),
        ]

    def lines_dialogue() -> list[LineInput]:
        return [
            LineInput("Hỗ trợ tiền ăn đại biểu đối thoại", "người", 60, 50_000, 1),
            LineInput("Thuê hội trường, âm thanh", "buổi", 1, 1_500_000, 1),
            LineInput("Khẩu hiệu, pa nô", "cái", 2, 600_000, 1, "carried"),
        ]

    # Nậm Xe: a draft, and one waiting for the district Women's Union.
    create(
        users["hoi.namxe"],
        commune_b,
        _input(
            plan,
            "1.4",
            "Truyền thông phòng chống tảo hôn tại phiên chợ Nậm Xe",
            lines_dialogue(),
            dt.date(2024, 9, 14),
            villages_b,
            women=80,
            girls=20,
            men=40,
        ),
    )
    review = create(
        users["hoi.namxe"],
        commune_b,
        _input(
            plan,
            "3.1",
            "Đối thoại chính sách cấp xã về việc làm cho phụ nữ",
            lines_dialogue(),
            dt.date(2024, 8, 20),
            villages_b,
            women=50,
            men=10,
        ),
    )
    services.estimate_submit(actor=users["hoi.namxe"], estimate_id=review.pk)

    # Sì Lở Lầu: one returned for revision, one in appraisal.
    returned = create(
        officer_a,
        commune_a,
        _input(
            plan,
            "3.2",
            "Sinh hoạt CLB Thủ lĩnh của sự thay đổi quý III",
            lines_club(),
            dt.date(2024, 7, 10),
            villages_a,
            girls=30,
        ),
    )
    services.estimate_submit(actor=officer_a, estimate_id=returned.pk)
    services.estimate_return(
        actor=officer_b,
        estimate_id=returned.pk,
        reason="Đề nghị bổ sung danh sách thành viên CLB và giảm số buổi sinh hoạt.",
    )
    appraisal = create(
        officer_a,
        commune_a,
        _input(
            plan,
            "4.1",
            "Tập huấn bình đẳng giới cho trưởng bản, người có uy tín",
            lines_dialogue(),
            dt.date(2024, 9, 5),
            villages_a,
            women=25,
            men=35,
        ),
    )
    services.estimate_submit(actor=officer_a, estimate_id=appraisal.pk)
    services.estimate_forward(actor=officer_b, estimate_id=appraisal.pk, comment="Đạt yêu cầu.")

    # District level: one waiting for the vice chair's approval.
    approval = create(
        officer_b,
        district,
        _input(
            plan,
            "1.2",
            "Liên hoan mô hình truyền thông xóa bỏ định kiến giới cấp huyện",
            [
                LineInput("Giải thưởng cho các đội", "giải", 6, 1_000_000, 1),
                LineInput("Thuê sân khấu, âm thanh, ánh sáng", "gói", 1, 12_000_000, 1, "carried"),
                LineInput("Hỗ trợ tiền ăn cho diễn viên", "người", 90, 100_000, 2),
            ],
            dt.date(2024, 10, 18),
            [],
            women=300,
            men=120,
        ),
    )
    services.estimate_submit(actor=officer_b, estimate_id=approval.pk)
    first = approval.lines.order_by("position")[0]
    services.estimate_appraise(
        actor=users["tckh"],
        estimate_id=approval.pk,
        cuts=[LineCut(first.pk, 5_000_000, "Giảm một giải khuyến khích theo định mức.")],
        comment="Đủ điều kiện trình phê duyệt.",
    )

    # The demo's approvals are made now (the decisions carry today's date), and a payment
    # is never dated before its approval: the demo pays today.
    paid_on = timezone.localdate()
    # Carried-over money is paid only until the plan's use-by date: after it, the demo's
    # carried line is funded from the current year instead.
    carried = (
        "carried" if plan.carried_use_by is None or paid_on <= plan.carried_use_by else "current"
    )
    # Sì Lở Lầu: approved and partly paid, and one settled waiting for verification.
    approved = create(
        officer_a,
        commune_a,
        _input(
            plan,
            "2.2",
            "Trang bị và tập huấn cho Địa chỉ tin cậy xã Sì Lở Lầu",
            [
                LineInput("Tủ đựng hồ sơ, bàn ghế tư vấn", "bộ", 1, 6_000_000, 1),
                LineInput("Tập huấn kỹ năng tư vấn cho tình nguyện viên", "người", 20, 150_000, 2),
            ],
            dt.date(2024, 6, 12),
            villages_a,
            women=20,
        ),
    )
    _approve(approved, officer_a, users)
    services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=approved.pk,
        kind="advance",
        paid_on=paid_on,
        amount=3_000_000,
        source="current",
        document_type="withdrawal_order",
        document_number="TU-0615",
        payee="Hội LHPN xã Sì Lở Lầu",
    )
    # ... and an amendment of it (more volunteers trained) waiting for the district
    # Women's Union: the estimate keeps disbursing on its decision meanwhile.
    training = approved.lines.get(position=2)
    services.amendment_propose(
        actor=officer_a,
        estimate_id=approved.pk,
        lines=[services.AmendmentLineInput(training.pk, 25, 150_000, 2)],
        start_date=approved.start_date,
        end_date=approved.end_date,
        reason="Thêm 05 tình nguyện viên tham gia tập huấn theo đề nghị của thôn.",
    )

    settled = create(
        officer_a,
        commune_a,
        _input(
            plan,
            "1.5",
            "Hỗ trợ 04 gói chính sách sinh đẻ an toàn, đợt 1",
            [
                LineInput("Hỗ trợ tiền đi lại (mẹ và người chăm sóc)", "người", 4, 100_000, 1),
                LineInput("Gói vật dụng thiết yếu", "gói", 2, 500_000, 1),
                LineInput("Hỗ trợ tiền ăn (sinh thường)", "người", 4, 50_000, 3),
                LineInput("Hỗ trợ dinh dưỡng một lần", "người", 2, 1_200_000, 1),
            ],
            dt.date(2024, 5, 2),
            villages_a,
            women=2,
        ),
    )
    _approve(settled, officer_a, users)
    services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=settled.pk,
        kind="payment",
        paid_on=paid_on,
        amount=4_400_000,
        source="current",
        document_type="payment_order",
        document_number="UNC-0520",
        payee="Hội LHPN xã Sì Lở Lầu",
    )
    services.estimate_settle(
        actor=officer_a,
        estimate_id=settled.pk,
        lines=[
            {"line_id": ln.pk, "spent": ln.approved_amount, "note": ""}
            for ln in settled.lines.order_by("position")
        ],
        comment="Đã chi đủ cho 2 sản phụ sinh thường.",
    )
    # Nậm Xe: one settled with money returned and closed, and one withdrawn.
    closed = create(
        users["hoi.namxe"],
        commune_b,
        _input(
            plan,
            "GS.1",
            "Giám sát thực hiện bình đẳng giới tại các thôn bản Nậm Xe",
            [
                LineInput("Công tác phí đoàn giám sát", "người", 5, 150_000, 2),
                LineInput("Văn phòng phẩm, in biểu mẫu", "bộ", 10, 30_000, 1, carried),
            ],
            dt.date(2024, 4, 22),
            villages_b,
            women=5,
        ),
    )
    _approve(closed, users["hoi.namxe"], users)
    for amount, source, number in (
        (1_500_000, "current", "UNC-0420"),
        (300_000, carried, "UNC-0421"),
    ):
        services.estimate_disburse(
            actor=users["ketoan"],
            estimate_id=closed.pk,
            kind="payment",
            paid_on=paid_on,
            amount=amount,
            source=source,
            document_type="payment_order",
            document_number=number,
            payee="Hội LHPN xã Nậm Xe",
        )
    travel, stationery = closed.lines.order_by("position")
    services.estimate_settle(
        actor=users["hoi.namxe"],
        estimate_id=closed.pk,
        lines=[
            {"line_id": travel.pk, "spent": 1_200_000, "note": "Đoàn đi 4 người"},
            {"line_id": stationery.pk, "spent": 300_000, "note": ""},
        ],
        returned=300_000,
        return_document="GNT-0510",
        comment="Nộp trả 300.000 đồng công tác phí không dùng hết.",
    )
    services.estimate_verify_settlement(
        actor=users["tckh"], estimate_id=closed.pk, comment="Chứng từ hợp lệ."
    )
    withdrawn = create(
        users["hoi.namxe"],
        commune_b,
        _input(
            plan,
            "2.3",
            "Tuyên truyền phòng chống bạo lực gia đình tháng 6",
            lines_dialogue(),
            dt.date(2024, 6, 20),
            villages_b,
            women=60,
            men=30,
        ),
    )
    services.estimate_submit(actor=users["hoi.namxe"], estimate_id=withdrawn.pk)
    services.estimate_withdraw(
        actor=users["hoi.namxe"],
        estimate_id=withdrawn.pk,
        reason="Lồng ghép vào hội nghị tuyên truyền của UBND xã, không cần kinh phí riêng.",
    )
    return made


def _approve(est: Estimate, drafter: Any, users: dict[str, Any]) -> None:
    services.estimate_submit(actor=drafter, estimate_id=est.pk)
    services.estimate_forward(actor=users["hoi.huyen"], estimate_id=est.pk)
    services.estimate_appraise(actor=users["tckh"], estimate_id=est.pk)
    services.estimate_approve(actor=users["pho.chutich"], estimate_id=est.pk)


# ---------------------------------------------------------------------------------------
# The example two-tier plan beside plan 117: a province and its communes, the commune as
# the spending unit (``estimates/data/example-two-tier-2025.yaml``, illustrative figures).

EXAMPLE_PLAN_FILE = (
    Path(__file__).resolve().parent.parent / "estimates" / "data" / "example-two-tier-2025.yaml"
)
EXAMPLE_ISSUERS_FILE = Path(__file__).resolve().parent / "data" / "decision_issuers_example.yaml"


def _carried_recorded(data: Any) -> Any:
    """The example plan's data with its carried-over cells holding what plan 117's demo
    settlements recorded as carried over into their level (none: the demo's settlements
    return their unspent money), and the envelope's sums lowered with them, so the loader's
    rule (a carried cell never holds more than was carried) holds in the demo too."""
    plan = data["plan"]
    earlier = Plan.objects.filter(number=plan["carry_over"]["from"]).first()
    mapping = dict(plan["carry_over"].get("levels", {}))
    recorded: dict[str, int] = {}
    if earlier is not None:
        for level, amount in Tranche.objects.filter(plan=earlier).values_list("level", "amount"):
            into = mapping.get(level, level)
            recorded[into] = recorded.get(into, 0) + amount
    envelope = plan["envelope"]
    for cell in envelope["cells"]:
        if cell["source"] != "carried":
            continue
        cut = max(0, int(cell["amount"]) - recorded.get(cell["level"], 0))
        cell["amount"] = int(cell["amount"]) - cut
        envelope["total"] = int(envelope["total"]) - cut
        envelope["sources"]["carried"] = int(envelope["sources"]["carried"]) - cut
        envelope["levels"][cell["level"]] = int(envelope["levels"][cell["level"]]) - cut
    return data


def demo_example_plan_load() -> Plan | None:
    """Load the example two-tier plan and its decision issuers beside plan 117 (its
    figures as in the file, but the carried-over cells only what the demo carried), and
    give its roles their demo users. None when plan 117 is not loaded (the example
    carries over from it)."""
    data = read_plan_file(EXAMPLE_PLAN_FILE)
    if not Plan.objects.filter(number=data["plan"]["carry_over"]["from"]).exists():
        return None
    plan = plan_load(check_plan_data(_carried_recorded(data))).plan
    decision_issuers_load(EXAMPLE_ISSUERS_FILE)
    demo_users_create(EXAMPLE_DEMO_USERS)
    return plan
