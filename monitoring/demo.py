"""Demo monitoring notes: an open one, an answered one, a closed one (once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from estimates.models import Activity, Plan
from organization.models import Unit

from . import services
from .models import MonitoringNote
from .services import NoteInput


def demo_notes_create(plan: Plan) -> int:
    if MonitoringNote.objects.exists():
        return 0
    users: dict[str, Any] = {u.username: u for u in get_user_model().objects.all()}
    a, b = Unit.objects.get(code="si-lo-lau"), Unit.objects.get(code="nam-xe")
    club = Activity.objects.get(content__plan=plan, code="3.2")
    observer, auditor = users["quansat"], users["kiemtoan"]
    first = services.note_record(
        actor=observer,
        plan=plan,
        data=NoteInput(
            unit_id=a.pk,
            activity_id=club.pk,
            visited_on=dt.date(2024, 9, 12),
            visitors="Phòng Dân tộc huyện (2 cán bộ)",
            checked="Sổ sinh hoạt và danh sách thành viên CLB Thủ lĩnh của sự thay đổi",
            findings="CLB sinh hoạt đều; danh sách thành viên chưa cập nhật.",
            recommendations="Cập nhật danh sách thành viên, gửi Hội LHPN huyện.",
            follow_up_due=dt.date(2024, 10, 15),
        ),
    )
    services.note_answer(
        actor=users["hoi.silolau"],
        note_id=first.pk,
        answer="Đã cập nhật danh sách ngày 30/9/2024.",
    )
    services.note_record(
        actor=auditor,
        plan=plan,
        data=NoteInput(
            unit_id=b.pk,
            visited_on=dt.date(2024, 11, 5),
            visitors="Kiểm toán viên",
            checked="Chứng từ chi hỗ trợ gói chính sách sinh đẻ an toàn",
            findings="Thiếu chữ ký người nhận ở 2 chứng từ.",
            recommendations="Bổ sung chữ ký người nhận.",
            follow_up_due=dt.date(2024, 12, 5),
        ),
    )
    closed = services.note_record(
        actor=observer,
        plan=plan,
        data=NoteInput(
            unit_id=a.pk,
            visited_on=dt.date(2024, 6, 20),
            visitors="Phòng Dân tộc huyện",
            checked="Hoạt động truyền thông tại phiên chợ",
            findings="Tổ chức đúng kế hoạch.",
        ),
    )
    services.note_close(actor=observer, note_id=closed.pk, closing_note="Không có kiến nghị.")
    return MonitoringNote.objects.count()
