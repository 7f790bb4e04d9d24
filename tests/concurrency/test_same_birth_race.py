"""Two communes register the same birth at the same instant, on PostgreSQL with real
threads and a barrier: each holds only its own estimate's lock, so neither sees the
other's row when it checks; the unique constraint decides. Exactly one registration is
kept, the other is refused with the friendly message naming ``national_id`` (through the
services, and as a 400 through the API: never a 500), and the loser's estimate is untouched."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from approvals.models import AuditEntry
from beneficiaries.models import Beneficiary
from beneficiaries.services import beneficiary_register
from core.errors import RuleViolation
from estimates.models import Estimate, Plan
from tests.beneficiaries.conftest import mother, register_data, safe_birth_draft, village
from tests.concurrency.test_approve_return_race import race
from tests.factories import api_key

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["register_data"]  # the norms and the register's reference data, as a fixture

ROUNDS = 10
COMMUNES = (("si-lo-lau", "hoi.silolau"), ("nam-xe", "hoi.namxe"))


def same_birth(n: int) -> dict[str, Any]:
    """The round's mother: a made-up name and a shape-valid ID (a woman born in 1990)."""
    return {"full_name": f"Mẹ mẫu vòng {n}", "national_id": f"0121900{n:05d}"}


def untouched(estimate: Estimate, before: tuple[int, int]) -> None:
    estimate.refresh_from_db()
    assert (estimate.total_amount, estimate.participants_women) == before


def test_two_communes_register_the_same_birth_at_once_one_wins(
    register_data: None, plan: Plan, users: dict[str, Any]
) -> None:
    drafts = {code: safe_birth_draft(plan, users[who], code) for code, who in COMMUNES}
    wins: dict[str, int] = {code: 0 for code, _who in COMMUNES}
    who_of = dict(COMMUNES)
    for n in range(ROUNDS):
        before = {
            code: (e.refresh_from_db(), (e.total_amount, e.participants_women))[1]
            for code, e in drafts.items()
        }
        audits = AuditEntry.objects.count()

        def register(code: str, n: int = n) -> str:
            # Each thread has its own active language (Vietnamese by default).
            try:
                with translation.override("en"):
                    beneficiary_register(
                        actor=users[who_of[code]],
                        estimate_id=drafts[code].pk,
                        data=mother(code, **same_birth(n)),
                    )
            except RuleViolation as exc:
                return f"refused:{exc.field}:{exc.message}"
            return f"ok:{code}"

        outcomes = race([lambda c=code: register(c) for code, _who in COMMUNES])
        ok = [o for o in outcomes if o.startswith("ok:")]
        refused = [o for o in outcomes if o.startswith("refused:")]
        assert len(ok) == 1 and len(refused) == 1, outcomes
        assert refused[0].startswith("refused:national_id:")
        assert "another commune" in refused[0]
        assert same_birth(n)["full_name"] not in refused[0]
        assert same_birth(n)["national_id"] not in refused[0]
        winner = ok[0].removeprefix("ok:")
        wins[winner] += 1
        kept = Beneficiary.objects.filter(national_id=same_birth(n)["national_id"])
        assert [b.estimate_id for b in kept] == [drafts[winner].pk]
        assert AuditEntry.objects.count() == audits + 1  # the winner's edit only
        loser = next(code for code in drafts if code != winner)
        untouched(drafts[loser], before[loser])
        drafts[winner].refresh_from_db()
        assert drafts[winner].participants_women == before[winner][1] + 1
    assert sum(wins.values()) == ROUNDS


def test_two_api_clients_register_the_same_birth_at_once_one_gets_400(
    register_data: None, plan: Plan, users: dict[str, Any]
) -> None:
    cache.clear()
    drafts = {code: safe_birth_draft(plan, users[who], code) for code, who in COMMUNES}
    clients = {}
    for code, who in COMMUNES:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(users[who])}")
        clients[code] = client

    def body(code: str, n: int) -> dict[str, Any]:
        return {
            "full_name": same_birth(n)["full_name"],
            "date_of_birth": "1990-05-04",
            "ethnicity": mother(code).ethnicity_id,
            "village": village(code).pk,
            "national_id": same_birth(n)["national_id"],
            "birth_date": dt.date(2024, 6, 10).isoformat(),
            "place": "commune_station",
            "facility": "Trạm y tế xã",
            "delivery": "normal",
            "payments": {"kit": {"quantity": 1, "unit_price": 500_000}},
        }

    for n in range(100, 100 + ROUNDS // 2):

        def post(code: str, n: int = n) -> str:
            response = clients[code].post(
                f"/api/v1/estimates/{drafts[code].pk}/beneficiaries/", body(code, n), format="json"
            )
            if response.status_code == 201:
                return "201"
            answer = response.json()
            return f"{response.status_code}:{answer.get('field')}:{answer.get('detail')}"

        outcomes = sorted(race([lambda c=code: post(c) for code, _who in COMMUNES]))
        assert outcomes[0] == "201", outcomes
        assert outcomes[1].startswith("400:national_id:"), outcomes
        assert "another commune" in outcomes[1]
        assert same_birth(n)["national_id"] not in outcomes[1]
        assert Beneficiary.objects.filter(national_id=same_birth(n)["national_id"]).count() == 1
