"""A resubmitted estimate shows the reviewer what changed since the last submission."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.selectors import version_diff
from estimates.models import Estimate, EstimateVersion, Plan
from tests.factories import estimate_in_status, estimate_input, line_input, villages_of


def resubmit_with_changes(plan: Plan, users: dict[str, Any]) -> Estimate:
    officer = users["hoi.silolau"]
    estimate = estimate_in_status("returned", plan=plan, drafter=officer)
    hall, _water = estimate.lines.order_by("position")
    villages = villages_of(estimate.unit)
    data = estimate_input(
        plan,
        estimate.unit,
        title="Truyền thông (sửa)",
        village_ids=[villages[0].pk, villages[3].pk],
        lines=[
            line_input(line_id=hall.pk, unit_price=1_200_000),  # changed
            line_input(
                description="Tài liệu", unit_of_measure="bộ", quantity=40, unit_price=15_000
            ),
        ],  # water removed, documents added
    )
    services.estimate_update(actor=officer, estimate_id=estimate.pk, data=data)
    services.estimate_submit(actor=officer, estimate_id=estimate.pk)
    estimate.refresh_from_db()
    return estimate


def test_version_diff_matches_lines_by_id(plan: Plan, users: dict[str, Any]) -> None:
    estimate = resubmit_with_changes(plan, users)
    old, new = EstimateVersion.objects.filter(estimate=estimate).order_by("number")
    diff = version_diff(old, new)
    kinds = {(c.kind, c.line["description"]) for c in diff.lines}
    assert kinds == {("changed", "Hội trường"), ("added", "Tài liệu"), ("removed", "Nước uống")}
    changed = next(c for c in diff.lines if c.kind == "changed")
    assert set(changed.fields) == {"unit_price", "amount"}
    assert {h.name for h in diff.header} == {"title", "villages", "total_amount"}


def test_the_reviewer_sees_the_diff_and_the_return_reason(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = resubmit_with_changes(plan, users)
    client.force_login(users["hoi.huyen"])
    html = client.get(reverse("estimates:detail", args=[estimate.pk])).content.decode()
    assert "diff-added" in html and "diff-removed" in html and "diff-changed" in html
    assert "Tài liệu" in html and "Nước uống" in html
    assert "Truyền thông (sửa)" in html
    assert "Thiếu danh sách thôn" in html  # the reason it was returned
    versions = client.get(reverse("estimates:versions", args=[estimate.pk]))
    assert versions.status_code == 200
    assert len(versions.context["diffs"]) == 1


def test_no_diff_before_a_resubmission(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    response = client.get(reverse("estimates:detail", args=[in_review.pk]))
    assert response.context["diff"] is None
