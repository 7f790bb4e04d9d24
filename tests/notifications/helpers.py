"""The people of the approval chain for Sì Lở Lầu, as the notification and delegation tests
name them, and a way to read the event an act recorded."""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.contrib.auth.models import User

from estimates.models import Estimate
from notifications.models import OutboxEvent
from organization.models import Role
from organization.permissions import access_sync
from tests.factories import member_make


@dataclass
class People:
    drafter: User  # hoi.silolau, officer of the Sì Lở Lầu Women's Union
    reviewer: User  # hoi.huyen, head of the district Women's Union
    reviewer2: User  # a second district Women's Union officer
    appraiser: User  # tckh, head of Finance-Planning (also verifies settlements)
    approver: User  # pho.chutich, vice chair, head of the district People's Committee
    approver2: User  # a second approver
    accountant: User  # ketoan
    observer: User  # quansat, Ethnic Affairs (reads only)
    admin: User  # admin, a superuser with no role

    def names(self, *who: str) -> set[str]:
        """The usernames of these people (by their name here)."""
        return {getattr(self, w).username for w in who}

    def emails(self, *who: str) -> list[str]:
        """Their e-mail addresses, sorted."""
        return sorted(getattr(self, w).email for w in who)


DEMO = {
    "drafter": "hoi.silolau",
    "reviewer": "hoi.huyen",
    "appraiser": "tckh",
    "approver": "pho.chutich",
    "accountant": "ketoan",
    "observer": "quansat",
    "admin": "admin",
}


def people_make() -> People:
    """The demo users of each role (reference data, tests/conftest.py), and a second
    district Women's Union officer and a second approver, so that "everyone who acts" is
    more than one person."""
    demo = {u.username: u for u in User.objects.filter(username__in=DEMO.values())}
    extra = {
        "reviewer2": member_make("reviewer2", "phong-tho.hlhpn", Role.DISTRICT_WU, sync=False),
        "approver2": member_make("approver2", "phong-tho.ubnd", Role.APPROVER, sync=False),
    }
    access_sync()
    people = People(**{name: demo[username] for name, username in DEMO.items()}, **extra)
    assert {f.name for f in fields(People)} == set(DEMO) | set(extra)
    return people


def event_of(estimate: Estimate, kind: str) -> OutboxEvent:
    """The (latest) event of ``kind`` recorded for ``estimate``."""
    return OutboxEvent.objects.filter(estimate=estimate, kind=kind).latest("pk")
