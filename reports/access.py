"""Who is offered the reports of the plan's money."""

from __future__ import annotations

from typing import Any

from organization.models import Role
from organization.permissions import roles_of

#: The roles that follow the money and find the reports in the menu: the district Women's
#: Union, Finance-Planning, the approver, the accountant and the auditor, and the commune
#: chair and accountant where the commune is the spending unit. Anyone else who
#: may see estimates may still open the reports, restricted to the units they see.
MONEY_ROLES = frozenset(
    {
        Role.DISTRICT_WU,
        Role.FINANCE_OFFICER,
        Role.APPROVER,
        Role.ACCOUNTANT,
        Role.AUDITOR,
        Role.COMMUNE_CHAIR,
        Role.COMMUNE_ACCOUNTANT,
    }
)


def follows_money(user: Any) -> bool:
    return bool(roles_of(user) & MONEY_ROLES)
