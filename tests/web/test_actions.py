"""Every action view drives its service, refuses the wrong actor, and changes nothing
when refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEntry
from core.text import field_limit
from estimates.models import Estimate, EstimateLine, Plan
from tests.factories import estimate_in_status
from tests.texts import composed, decomposed


def post(
    client: Client, user: Any, name: str, estimate: Estimate, data: dict[str, Any] | None = None
) -> Any:
    client.force_login(user)
    return client.post(reverse(f"estimates:{name}", args=[estimate.pk]), data or {})


def appraisal(estimate: Estimate, **changes: str) -> dict[str, str]:
    """The appraisal form as posted: every line at its requested amount, then ``changes``."""
    data = {f"line-{line.pk}": str(line.amount) for line in estimate.lines.all()}
    data.update(changes)
    return data


def status_of(estimate: Estimate) -> str:
    estimate.refresh_from_db()
    return estimate.status


def test_submit_sends_a_draft_to_review(
    client: Client, users: dict[str, Any], draft: Estimate
) -> None:
    response = post(client, users["hoi.silolau"], "submit", draft)
    assert response.status_code == 302
    assert response["Location"] == reverse("estimates:detail", args=[draft.pk])
    assert status_of(draft) == "review"
    assert draft.version == 1


def test_forward_sends_to_appraisal(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    response = post(client, users["hoi.huyen"], "forward", in_review, {"comment": "Đạt"})
    assert response.status_code == 302
    assert status_of(in_review) == "appraisal"
    assert AuditEntry.objects.get(estimate=in_review, action="estimate.forwarded").comment == "Đạt"


def test_return_needs_a_reason_and_shows_it_on_the_detail_page(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    response = post(
        client, users["hoi.huyen"], "return", in_review, {"reason": "  ", "to": "drafter"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert status_of(in_review) == "review"

    response = post(
        client,
        users["hoi.huyen"],
        "return",
        in_review,
        {"reason": "Thiếu danh sách thôn", "to": "drafter"},
    )
    assert response.status_code == 302
    assert status_of(in_review) == "returned"
    client.force_login(users["hoi.silolau"])
    html = client.get(reverse("estimates:detail", args=[in_review.pk])).content.decode()
    assert "Thiếu danh sách thôn" in html
    assert 'class="card returns"' in html


def test_appraisal_may_return_to_review(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    client.force_login(users["tckh"])
    page = client.get(reverse("estimates:return", args=[in_appraisal.pk]))
    assert page.status_code == 200
    assert [c for c, _ in page.context["form"].fields["to"].choices] == ["drafter", "review"]
    response = post(
        client, users["tckh"], "return", in_appraisal, {"reason": "Xem lại", "to": "review"}
    )
    assert response.status_code == 302
    assert status_of(in_appraisal) == "review"


def test_return_to_an_unknown_target_is_refused_at_the_field(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    response = post(
        client, users["hoi.huyen"], "return", in_review, {"reason": "x", "to": "appraisal"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["to"]
    assert status_of(in_review) == "review"


def test_a_service_rule_is_shown_on_the_re_rendered_form(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    empty = estimate_in_status(plan=plan, drafter=users["hoi.silolau"], lines=[])
    response = post(client, users["hoi.silolau"], "submit", empty)
    assert response.status_code == 400
    assert "Add at least one cost line before submitting." in response.content.decode()
    assert status_of(empty) == "draft"
    assert not AuditEntry.objects.filter(estimate=empty, action="estimate.submitted").exists()


def test_withdraw_asks_for_confirmation_and_a_reason(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    officer = users["hoi.silolau"]
    client.force_login(officer)
    assert client.get(reverse("estimates:withdraw", args=[in_review.pk])).status_code == 200
    response = post(client, officer, "withdraw", in_review, {"reason": "Không tổ chức nữa"})
    assert response.status_code == 400
    assert response.context["form"].errors["confirm"]
    assert status_of(in_review) == "review"
    response = post(client, officer, "withdraw", in_review, {"reason": "", "confirm": "on"})
    assert response.status_code == 400
    assert status_of(in_review) == "review"
    response = post(
        client, officer, "withdraw", in_review, {"reason": "Không tổ chức nữa", "confirm": "on"}
    )
    assert response.status_code == 302
    assert status_of(in_review) == "withdrawn"


@pytest.mark.parametrize(
    ("username", "action", "data"),
    [
        ("hoi.silolau", "forward", {}),  # the drafter cannot review
        ("tckh", "forward", {}),  # Finance-Planning does not review
        ("ubnd.silolau", "submit", {}),  # the commune People's Committee only reads
        ("hoi.silolau", "approve", {"confirm": "on"}),  # forged post to a later stage
        ("hoi.silolau", "appraise", {}),
        ("quansat", "withdraw", {"reason": "x", "confirm": "on"}),
        ("hoi.huyen", "withdraw", {"reason": "x", "confirm": "on"}),  # not the drafting unit
        ("tckh", "return", {"reason": "x", "to": "drafter"}),  # not at the review stage
        ("hoi.silolau", "return", {"reason": "x", "to": "drafter"}),  # the drafter
    ],
)
def test_the_wrong_actor_gets_403_and_nothing_changes(
    client: Client,
    users: dict[str, Any],
    in_review: Estimate,
    username: str,
    action: str,
    data: dict[str, Any],
) -> None:
    entries = AuditEntry.objects.count()
    response = post(client, users[username], action, in_review, data)
    assert response.status_code == 403
    assert response.context["message"]
    assert status_of(in_review) == "review"
    assert AuditEntry.objects.count() == entries


def test_the_drafter_cannot_review_even_when_holding_the_reviewer_role(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    """Segregation of duties is the service's; the view shows its 403 message."""
    from organization.models import Membership, Role, Unit
    from organization.permissions import access_sync

    officer = users["hoi.silolau"]
    Membership.objects.create(
        user=officer, unit=Unit.objects.get(code="phong-tho.hlhpn"), role=Role.DISTRICT_WU
    )
    access_sync()
    estimate = estimate_in_status("review", plan=plan, drafter=officer, unit_code="si-lo-lau")
    client.force_login(officer)
    html = client.get(reverse("estimates:detail", args=[estimate.pk])).content.decode()
    assert reverse("estimates:forward", args=[estimate.pk]) not in html
    response = client.post(reverse("estimates:forward", args=[estimate.pk]))
    assert response.status_code == 403
    assert "someone else must review" in response.content.decode()
    assert status_of(estimate) == "review"


def test_a_stale_action_gets_409_with_a_link_to_reload(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    first = post(client, users["hoi.huyen"], "forward", in_review)
    assert first.status_code == 302
    entries = AuditEntry.objects.count()
    second = post(client, users["hoi.huyen"], "forward", in_review)
    assert second.status_code == 409
    html = second.content.decode()
    assert f'href="{reverse("estimates:detail", args=[in_review.pk])}"' in html
    assert status_of(in_review) == "appraisal"
    assert AuditEntry.objects.count() == entries


def test_editing_an_estimate_that_moved_on_is_409(
    plan: Plan, client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    from tests.factories import estimate_form_data, line_form_rows

    data = estimate_form_data(
        plan, in_review.unit, lines=line_form_rows(in_review), initial_lines=2
    )
    response = post(client, users["hoi.silolau"], "edit", in_review, data)
    assert response.status_code == 409
    page = client.get(reverse("estimates:edit", args=[in_review.pk]))
    assert page.status_code == 302  # back to the estimate, with a message


@pytest.mark.parametrize("action", ["submit", "forward"])
def test_actions_are_post_only(
    client: Client, users: dict[str, Any], in_review: Estimate, action: str
) -> None:
    client.force_login(users["hoi.huyen"])
    assert client.get(reverse(f"estimates:{action}", args=[in_review.pk])).status_code == 405


def test_actions_need_the_csrf_token(users: dict[str, Any], in_review: Estimate) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["hoi.huyen"])
    response = client.post(reverse("estimates:forward", args=[in_review.pk]))
    assert response.status_code == 403
    assert status_of(in_review) == "review"


def test_extra_posted_fields_change_nothing_on_actions(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    forged = {
        "status": "approved",
        "approved_amount": "1",
        "appraised_amount": "1",
        "unit": "999",
        "created_by": str(users["hoi.huyen"].pk),
        "comment": "Chuyển",
    }
    response = post(client, users["hoi.huyen"], "forward", in_review, forged)
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == "appraisal"
    assert in_review.approved_amount is None and in_review.appraised_amount is None
    assert in_review.created_by == users["hoi.silolau"]


def test_appraise_page_lists_every_line_with_its_requested_amount(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    client.force_login(users["tckh"])
    response = client.get(reverse("estimates:appraise", args=[in_appraisal.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for line in in_appraisal.lines.all():
        assert f'name="line-{line.pk}"' in html
        assert f'name="reason-{line.pk}"' in html
    assert "3.000.000" in html and "2.000.000 ₫" in html


def test_appraisal_cannot_raise_a_line(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    line = in_appraisal.lines.order_by("position").first()
    assert line is not None
    data = appraisal(in_appraisal, **{f"line-{line.pk}": "9.000.000", f"reason-{line.pk}": "Tăng"})
    response = post(client, users["tckh"], "appraise", in_appraisal, data)
    assert response.status_code == 400
    errors = response.context["form"].errors[f"line-{line.pk}"]
    assert "never raise" in errors[0]
    assert status_of(in_appraisal) == "appraisal"
    line.refresh_from_db()
    assert line.appraised_amount is None


def test_appraisal_needs_a_reason_for_a_lowered_line(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    line = in_appraisal.lines.order_by("position").first()
    assert line is not None
    response = post(
        client,
        users["tckh"],
        "appraise",
        in_appraisal,
        appraisal(in_appraisal, **{f"line-{line.pk}": "1.000.000"}),
    )
    assert response.status_code == 400
    assert "give the reason" in response.context["form"].errors[f"reason-{line.pk}"][0]
    assert status_of(in_appraisal) == "appraisal"


def test_appraisal_refuses_an_amount_that_is_not_a_number(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    line = in_appraisal.lines.order_by("position").first()
    assert line is not None
    response = post(
        client,
        users["tckh"],
        "appraise",
        in_appraisal,
        appraisal(in_appraisal, **{f"line-{line.pk}": "1,5 triệu"}),
    )
    assert response.status_code == 400
    assert response.context["form"].errors[f"line-{line.pk}"]
    assert status_of(in_appraisal) == "appraisal"


def test_approve_before_appraisal_is_a_conflict_for_the_approver(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    response = post(client, users["pho.chutich"], "approve", in_appraisal, {"confirm": "on"})
    assert response.status_code == 409
    assert status_of(in_appraisal) == "appraisal"


def test_approve_needs_the_confirmation_box(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    response = post(client, users["pho.chutich"], "approve", in_appraisal, {})
    assert response.status_code == 400
    assert response.context["form"].errors["confirm"]
    assert status_of(in_appraisal) == "appraisal"


def test_a_return_posted_from_a_stale_page_is_409(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    """A return posted from a page that showed another status is refused with 409, even
    from someone who may return the estimate at its new status."""
    from approvals import services

    services.estimate_forward(actor=users["hoi.huyen"], estimate_id=in_review.pk)
    data = {"reason": "Thiếu", "to": "drafter", "seen_status": "review"}
    response = post(client, users["tckh"], "return", in_review, data)
    assert response.status_code == 409
    assert status_of(in_review) == "appraisal"


def test_a_return_when_nothing_can_be_returned_is_409(
    client: Client, users: dict[str, Any], draft: Estimate
) -> None:
    response = post(client, users["hoi.huyen"], "return", draft, {"reason": "x", "to": "drafter"})
    assert response.status_code == 409
    assert status_of(draft) == "draft"


@pytest.mark.parametrize(
    ("username", "action"), [("pho.chutich", "approve"), ("hoi.huyen", "return")]
)
def test_an_action_page_not_open_now_sends_back_to_the_estimate(
    client: Client, users: dict[str, Any], in_appraisal: Estimate, username: str, action: str
) -> None:
    client.force_login(users[username])
    response = client.get(reverse(f"estimates:{action}", args=[in_appraisal.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("estimates:detail", args=[in_appraisal.pk])


# ---------------------------------------------------------------------------------------
# Text: the limit of the model field, counted after NFC


def test_a_reason_is_held_to_the_audit_comment_limit(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    limit = field_limit(AuditEntry, "comment")
    before = AuditEntry.objects.count()
    data = {"reason": decomposed(limit + 1), "to": "drafter"}
    response = post(client, users["hoi.huyen"], "return", in_review, data)
    assert response.status_code == 400
    assert f"At most {limit} characters" in response.context["form"].errors["reason"][0]
    assert status_of(in_review) == "review"
    assert AuditEntry.objects.count() == before
    data = {"reason": decomposed(limit), "to": "drafter"}
    assert post(client, users["hoi.huyen"], "return", in_review, data).status_code == 302
    entry = AuditEntry.objects.get(estimate=in_review, action="estimate.returned")
    assert entry.comment == composed(limit)


def test_a_reason_keeps_its_line_breaks_but_not_invisible_characters(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    data = {"reason": "Thiếu\u202e danh sách", "to": "drafter"}
    response = post(client, users["hoi.huyen"], "return", in_review, data)
    assert response.status_code == 400
    assert "U+202E at position 6" in response.context["form"].errors["reason"][0]
    assert status_of(in_review) == "review"
    data = {"reason": "Thiếu:\r\n- danh sách thôn", "to": "drafter"}
    assert post(client, users["hoi.huyen"], "return", in_review, data).status_code == 302
    entry = AuditEntry.objects.get(estimate=in_review, action="estimate.returned")
    assert entry.comment == "Thiếu:\r\n- danh sách thôn"


def test_an_appraisal_reason_is_held_to_its_model_field(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    limit = field_limit(EstimateLine, "appraisal_note")
    line = in_appraisal.lines.order_by("position").first()
    assert line is not None
    cut = {f"line-{line.pk}": "1.000.000", f"reason-{line.pk}": decomposed(limit + 1)}
    response = post(client, users["tckh"], "appraise", in_appraisal, appraisal(in_appraisal, **cut))
    assert response.status_code == 400
    assert f"At most {limit}" in response.context["form"].errors[f"reason-{line.pk}"][0]
    assert status_of(in_appraisal) == "appraisal"
    cut[f"reason-{line.pk}"] = decomposed(limit)
    response = post(client, users["tckh"], "appraise", in_appraisal, appraisal(in_appraisal, **cut))
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.appraisal_note == composed(limit)
