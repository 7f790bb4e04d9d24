"""Demo users, one per role, for the embedded default and development only."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from .models import Membership, Role, Unit
from .permissions import access_sync

DEMO_PASSWORD = "duan8-demo"  # noqa: S105 - printed to the terminal on purpose; demo only


@dataclass(frozen=True)
class DemoUser:
    username: str
    unit_code: str
    role: str
    label: str
    is_head: bool = False


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "hoi.silolau",
        "si-lo-lau.hlhpn",
        Role.COMMUNE_WU_OFFICER,
        "Cán bộ Hội LHPN xã Sì Lở Lầu",
        is_head=True,
    ),
    DemoUser(
        "hoi.namxe",
        "nam-xe.hlhpn",
        Role.COMMUNE_WU_OFFICER,
        "Cán bộ Hội LHPN xã Nậm Xe",
        is_head=True,
    ),
    DemoUser("ubnd.silolau", "si-lo-lau.ubnd", Role.COMMUNE_PC, "UBND xã Sì Lở Lầu"),
    # Plan 117 leaves approving and paying to the district: in its communes these two roles
    # only see. A plan whose commune level makes the commune the spending unit gives them
    # approval and payments (README, "Several plans").
    DemoUser("chutich.silolau", "si-lo-lau.ubnd", Role.COMMUNE_CHAIR, "Chủ tịch UBND xã Sì Lở Lầu"),
    DemoUser("ketoan.silolau", "si-lo-lau.ubnd", Role.COMMUNE_ACCOUNTANT, "Kế toán xã Sì Lở Lầu"),
    DemoUser(
        "hoi.huyen", "phong-tho.hlhpn", Role.DISTRICT_WU, "Cán bộ Hội LHPN huyện", is_head=True
    ),
    DemoUser(
        "tckh", "phong-tho.tckh", Role.FINANCE_OFFICER, "Chuyên viên Phòng TC-KH", is_head=True
    ),
    DemoUser(
        "pho.chutich", "phong-tho.ubnd", Role.APPROVER, "Phó Chủ tịch UBND huyện", is_head=True
    ),
    DemoUser("ketoan", "phong-tho.tckh", Role.ACCOUNTANT, "Kế toán - thủ quỹ"),
    DemoUser("quansat", "phong-tho.dan-toc", Role.OBSERVER, "Cán bộ Phòng Dân tộc"),
    DemoUser("kiemtoan", "phong-tho", Role.AUDITOR, "Kiểm toán viên"),
)


#: The demo users of the example two-tier plan (``estimates/data/example-two-tier-2025.yaml``,
#: loaded by ``seed_demo`` beside plan 117): the province's offices, and the commune as the
#: spending unit (its Women's Union drafts, its economic office appraises and verifies, its
#: chair approves, its accountant pays and reports the settlement). Names are illustrative.
EXAMPLE_DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "hoi.xamot",
        "vd-xa-mot.hlhpn",
        Role.COMMUNE_WU_OFFICER,
        "Cán bộ Hội LHPN xã Mẫu Một (ví dụ)",
        is_head=True,
    ),
    DemoUser(
        "kinhte.xamot",
        "vd-xa-mot.kinh-te",
        Role.FINANCE_OFFICER,
        "Cán bộ Phòng Kinh tế xã Mẫu Một (ví dụ)",
        is_head=True,
    ),
    DemoUser(
        "chutich.xamot",
        "vd-xa-mot.ubnd",
        Role.COMMUNE_CHAIR,
        "Chủ tịch UBND xã Mẫu Một (ví dụ)",
        is_head=True,
    ),
    DemoUser(
        "ketoan.xamot", "vd-xa-mot.ubnd", Role.COMMUNE_ACCOUNTANT, "Kế toán xã Mẫu Một (ví dụ)"
    ),
    DemoUser(
        "hoi.tinh", "lai-chau.hlhpn", Role.DISTRICT_WU, "Cán bộ Hội LHPN tỉnh (ví dụ)", is_head=True
    ),
    DemoUser(
        "stc",
        "lai-chau.stc",
        Role.FINANCE_OFFICER,
        "Chuyên viên Sở Tài chính (ví dụ)",
        is_head=True,
    ),
    DemoUser(
        "pct.tinh", "lai-chau.ubnd", Role.APPROVER, "Phó Chủ tịch UBND tỉnh (ví dụ)", is_head=True
    ),
    DemoUser("ketoan.tinh", "lai-chau.stc", Role.ACCOUNTANT, "Kế toán Sở Tài chính (ví dụ)"),
)


def demo_allowed() -> bool:
    return bool(getattr(settings, "DEMO_ENABLED", False))


@transaction.atomic
def demo_users_create(users: tuple[DemoUser, ...] = DEMO_USERS) -> list[DemoUser]:
    """Create (or leave as they are) the demo users and their memberships."""
    if not demo_allowed():
        raise ImproperlyConfigured("Demo users are disabled in these settings.")
    user_model = get_user_model()
    for demo in users:
        user, created = user_model.objects.get_or_create(
            username=demo.username,
            defaults={"first_name": demo.label, "email": f"{demo.username}@example.org"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            user=user,
            unit=Unit.objects.get(code=demo.unit_code),
            role=demo.role,
            defaults={"is_head": demo.is_head},
        )
    admin, created = user_model.objects.get_or_create(
        username="admin",
        defaults={
            "is_staff": True,
            "is_superuser": True,
            "first_name": "Quản trị hệ thống",
            "email": "admin@example.org",
        },
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
    access_sync()
    return list(users)
