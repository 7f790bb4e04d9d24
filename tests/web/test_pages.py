"""Each page renders for the roles that may see it, and only for them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from estimates.models import Estimate, EstimateStatus, Plan
from organization.demo import DEMO_PASSWORD
from tests.factories import estimate_in_status

ACTION_NAMES = ("submit", "forward", "return", "appraise", "approve", "withdraw")


def page(client: Client, user: Any, url: str) -> Any:
    client.force_login(user)
    return client.get(url)


def test_anonymous_is_sent_to_log_in(client: Client, draft: Estimate) -> None:
    for url in (reverse("estimates:list"), reverse("estimates:detail", args=[draft.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


@pytest.mark.parametrize(
    "username", ["hoi.silolau", "ubnd.silolau", "hoi.huyen", "tckh", "pho.chutich", "quansat"]
)
def test_detail_renders_for_every_role_that_may_see_it(
    client: Client, users: dict[str, Any], in_review: Estimate, username: str
) -> None:
    response = page(client, users[username], reverse("estimates:detail", args=[in_review.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert in_review.number in html
    assert "3.000.000 ₫" in html  # line 1: 2 × 1.500.000
    assert 'class="status review"' in html
    assert 'lang="en"' in html  # tests/web/conftest.py: english


def test_commune_officer_sees_nothing_of_another_commune(
    client: Client, users: dict[str, Any], draft: Estimate, nam_xe: Estimate
) -> None:
    client.force_login(users["hoi.silolau"])
    listing = client.get(reverse("estimates:list")).content.decode()
    assert draft.number in listing
    assert nam_xe.number not in listing
    for name in ("detail", "edit", "versions"):
        assert client.get(reverse(f"estimates:{name}", args=[nam_xe.pk])).status_code == 404
    for name in ACTION_NAMES:
        url = reverse(f"estimates:{name}", args=[nam_xe.pk])
        response = client.post(url, {"reason": "x", "confirm": "on", "to": "drafter"})
        assert response.status_code == 404, name
    nam_xe.refresh_from_db()
    assert nam_xe.status == "review"


def test_an_unknown_estimate_is_404_like_a_hidden_one(
    client: Client, users: dict[str, Any]
) -> None:
    response = page(client, users["hoi.silolau"], reverse("estimates:detail", args=[999999]))
    assert response.status_code == 404


def test_commune_peoples_committee_reads_but_cannot_edit(
    client: Client, users: dict[str, Any], draft: Estimate
) -> None:
    client.force_login(users["ubnd.silolau"])
    html = client.get(reverse("estimates:detail", args=[draft.pk])).content.decode()
    assert reverse("estimates:edit", args=[draft.pk]) not in html
    assert reverse("estimates:submit", args=[draft.pk]) not in html
    assert client.get(reverse("estimates:edit", args=[draft.pk])).status_code == 403
    assert client.get(reverse("estimates:create")).status_code == 403


def test_only_the_buttons_the_user_may_use(
    client: Client,
    users: dict[str, Any],
    draft: Estimate,
    in_review: Estimate,
    in_appraisal: Estimate,
) -> None:
    def buttons(username: str, estimate: Estimate) -> set[str]:
        html = page(client, users[username], reverse("estimates:detail", args=[estimate.pk]))
        text = html.content.decode()
        return {
            n
            for n in (*ACTION_NAMES, "edit")
            if reverse(f"estimates:{n}", args=[estimate.pk]) in text
        }

    assert buttons("hoi.silolau", draft) == {"edit", "submit", "withdraw"}
    assert buttons("hoi.huyen", draft) == set()
    assert buttons("hoi.silolau", in_review) == {"withdraw"}
    assert buttons("hoi.huyen", in_review) == {"forward", "return"}
    assert buttons("tckh", in_review) == set()
    assert buttons("tckh", in_appraisal) == {"appraise", "return"}
    assert buttons("pho.chutich", in_appraisal) == set()
    assert buttons("quansat", in_appraisal) == set()


def test_detail_names_the_stage_and_who_must_act(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    client.force_login(users["hoi.silolau"])
    html = client.get(reverse("estimates:detail", args=[in_review.pk])).content.decode()
    assert "Hội LHPN huyện" in html  # hoi.huyen's full name: the district WU officer


def test_history_shows_who_when_role_unit_and_transition(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    html = client.get(reverse("estimates:detail", args=[in_review.pk])).content.decode()
    entry = in_review.audit_entries.get(action="estimate.submitted")

    assert timezone.localtime(entry.created_at).strftime("%d/%m/%Y %H:%M") in html
    assert "hoi.silolau" in html
    assert "Hội LHPN xã Sì Lở Lầu" in html  # the unit the officer acted for
    assert "5.000.000 ₫" in html  # the amount recorded on submission


def test_inbox_lists_what_waits_for_me_and_the_menu_counts_it(
    client: Client, users: dict[str, Any], in_review: Estimate, in_appraisal: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    html = client.get(reverse("estimates:inbox")).content.decode()
    assert in_review.number in html
    assert in_appraisal.number not in html  # Finance-Planning's, not the Women's Union's
    assert '<span class="badge">1</span>' in html
    client.force_login(users["tckh"])
    html = client.get(reverse("estimates:inbox")).content.decode()
    assert in_appraisal.number in html and in_review.number not in html
    client.force_login(users["quansat"])  # nothing waits for an observer: no badge
    assert 'class="badge"' not in client.get(reverse("estimates:inbox")).content.decode()


def test_after_login_the_inbox_is_home_when_something_waits(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    assert client.get(reverse("estimates:start"))["Location"] == reverse("estimates:inbox")
    client.force_login(users["quansat"])  # an observer: nothing ever waits for them
    assert client.get(reverse("estimates:start"))["Location"] == reverse("estimates:list")
    client.force_login(users["hoi.namxe"])  # a drafter with nothing waiting: "New estimate"
    assert client.get(reverse("estimates:start"))["Location"] == reverse("estimates:inbox")
    assert reverse("estimates:create") in client.get(reverse("estimates:inbox")).content.decode()


def test_logging_in_from_the_sites_address_lands_on_the_work(
    users: dict[str, Any], in_review: Estimate
) -> None:
    """Opening the site's address sends to the login page with ``next=/``; after login the
    district Women's Union lands on its inbox, not on the plan page."""
    browser = Client()
    login = browser.get("/")
    assert login.status_code == 302 and "next=/" in login["Location"]
    response = browser.post(
        "/accounts/login/?next=/", {"username": "hoi.huyen", "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("estimates:inbox")
    assert in_review.number in response.content.decode()
    # A deeper address asked for is still honoured.
    browser.post("/accounts/logout/")
    response = browser.post(
        "/accounts/login/?next=/estimates/",
        {"username": "hoi.huyen", "password": DEMO_PASSWORD},
    )
    assert response["Location"] == "/estimates/"


def test_list_filters_by_status_commune_and_content(
    plan: Plan, client: Client, users: dict[str, Any], draft: Estimate, nam_xe: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    url = reverse("estimates:list")
    html = client.get(url, {"status": "review"}).content.decode()
    assert nam_xe.number in html and draft.number not in html
    html = client.get(url, {"unit": draft.unit_id}).content.decode()
    assert draft.number in html and nam_xe.number not in html
    html = client.get(url, {"content": draft.content_id}).content.decode()
    assert draft.number in html
    # A commune the user may not see is not even a valid filter value.
    client.force_login(users["hoi.silolau"])
    response = client.get(url, {"unit": nam_xe.unit_id})
    assert response.status_code == 200
    assert nam_xe.number not in response.content.decode()


def test_list_is_paginated_by_25_in_a_stable_order(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    made = [estimate_in_status(plan=plan, drafter=users["hoi.silolau"]) for _ in range(27)]
    client.force_login(users["hoi.silolau"])
    first = client.get(reverse("estimates:list"))
    second = client.get(reverse("estimates:list"), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert [e.pk for e in second.context["page"].object_list] == [made[1].pk, made[0].pk]
    assert "page=2" in first.content.decode()


def test_create_page_offers_only_the_users_own_unit_and_villages(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.get(reverse("estimates:create"))
    assert response.status_code == 200
    form = response.context["form"]
    assert [u.code for u in form.fields["unit"].queryset] == ["si-lo-lau"]
    parents = {v.parent.code for v in form.fields["villages"].queryset}
    assert parents == {"si-lo-lau"}
    assert len(form.fields["villages"].queryset) == 8


def test_district_womens_union_drafts_for_the_district(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.huyen"])
    form = client.get(reverse("estimates:create")).context["form"]
    assert [u.code for u in form.fields["unit"].queryset] == ["phong-tho"]


def test_history_names_whom_a_delegate_acted_for(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    from django.db import transaction

    from approvals.audit import audit_record

    with transaction.atomic():
        audit_record(
            action="estimate.forwarded",
            actor=users["ketoan"],
            acting_for=users["hoi.huyen"],
            role="district_wu",
            unit_name="Hội LHPN huyện Phong Thổ",
            estimate=in_review,
            stage="review",
            from_status="review",
            to_status="appraisal",
            comment="Thay mặt khi vắng",
        )
    client.force_login(users["hoi.silolau"])
    html = client.get(reverse("estimates:detail", args=[in_review.pk])).content.decode()
    assert "acting for Cán bộ Hội LHPN huyện (hoi.huyen)" in html
    assert "Thay mặt khi vắng" in html


def test_a_list_row_shows_the_estimate_escaped_in_vietnamese(
    plan: Plan, client: Client, users: dict[str, Any], nam_xe: Estimate
) -> None:
    """A row of the lists' table (written out by ``estimate_rows``): its link, number,
    title, content, commune, status in words and since when (dd/mm/yyyy, local time), the
    amounts in đồng, each cell labelled for the phone's stacked layout; a title holding
    markup is shown as text."""
    Estimate.objects.filter(pk=nam_xe.pk).update(
        title='Tập huấn <script>alert("x")</script> & "bình đẳng"',
        status_changed_at=timezone.make_aware(timezone.datetime(2026, 3, 5, 5, 30)),
        total_amount=7_588_630_000,
    )
    nam_xe.refresh_from_db()
    client.cookies["django_language"] = "vi"
    client.force_login(users["hoi.huyen"])
    html = client.get(reverse("estimates:list"), {"status": "review"}).content.decode()
    row = next(r for r in html.split("<tr>") if nam_xe.number in r).split("</tr>")[0]
    assert f'<a href="{reverse("estimates:detail", args=[nam_xe.pk])}">{nam_xe.number}</a>' in row
    assert (
        "Tập huấn &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;bình đẳng&quot;"
        in row
    )
    assert "<script>" not in row
    assert f"· Nội dung {nam_xe.content.code}" in row
    assert f'<td data-label="Đơn vị">{nam_xe.unit.name}</td>' in row
    with translation.override("vi"):
        review = str(EstimateStatus.REVIEW.label)
    assert f'<span class="status review">{review}</span>' in row
    assert "từ ngày 05/03/2026" in row  # 05:30 in Hồ Chí Minh city, 4 March in UTC
    assert '<td class="num" data-label="Đề nghị">7.588.630.000 ₫</td>' in row
    assert '<td class="num" data-label="Thẩm định">—</td>' in row
