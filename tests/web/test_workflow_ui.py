"""viewflow's own pages under /workflow/ show a user only the processes and tasks of the
estimates they may see (upstream viewflow does not filter its lists: issue #505)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from viewflow.workflow import STATUS

from estimates.models import Estimate
from workflows.engine import process_for
from workflows.flows import EstimateFlow

LISTS = ["", "inbox/", "queue/", "archive/", "flows/", "tasks/"]


def process_url(estimate: Estimate) -> str:
    return f"/workflow/estimate/{process_for(estimate).pk}/"


@pytest.mark.parametrize("path", LISTS)
def test_lists_hide_another_communes_processes_and_tasks(
    client: Client, users: dict[str, Any], draft: Estimate, nam_xe: Estimate, path: str
) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.get(f"/workflow/estimate/{path}")
    assert response.status_code == 200
    html = response.content.decode()
    assert process_url(nam_xe) not in html
    assert f"#{process_for(nam_xe).pk}/" not in html  # task labels: #process/task


@pytest.mark.parametrize("path", ["", "flows/", "tasks/"])
def test_lists_still_show_what_the_user_may_see(
    client: Client, users: dict[str, Any], draft: Estimate, nam_xe: Estimate, path: str
) -> None:
    client.force_login(users["hoi.huyen"])
    html = client.get(f"/workflow/estimate/{path}").content.decode()
    assert process_url(nam_xe) in html
    client.force_login(users["hoi.silolau"])
    html = client.get(f"/workflow/estimate/{path}").content.decode()
    assert process_url(draft) in html


def test_the_queue_lists_the_reviewers_tasks(
    client: Client, users: dict[str, Any], nam_xe: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    assert process_url(nam_xe) in client.get("/workflow/estimate/queue/").content.decode()


def test_process_and_task_pages_of_another_commune_are_refused(
    client: Client, users: dict[str, Any], nam_xe: Estimate
) -> None:
    process = process_for(nam_xe)
    task = process.task_set.filter(flow_task=EstimateFlow.review, status=STATUS.NEW).get()
    client.force_login(users["hoi.silolau"])
    base = f"/workflow/estimate/{process.pk}/"
    for url in (
        base,
        f"{base}chart/",
        f"{base}review/{task.pk}/detail/",
        f"{base}review/{task.pk}/assign/",
        f"{base}review/{task.pk}/",
    ):
        response = client.get(url)
        if response.status_code == 302:  # the task's index page sends away, not in
            assert str(process.pk) not in response["Location"], url
        else:
            assert response.status_code in (403, 404), url
        assert nam_xe.title not in response.content.decode()


def test_the_reviewer_may_open_the_process_page(
    client: Client, users: dict[str, Any], nam_xe: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    assert client.get(process_url(nam_xe)).status_code == 200


def test_a_task_page_sends_the_user_to_the_estimate(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    process = process_for(in_review)
    task = process.task_set.filter(flow_task=EstimateFlow.review, status=STATUS.NEW).get()
    reviewer = users["hoi.huyen"]
    client.force_login(reviewer)
    response = client.post(f"/workflow/estimate/{process.pk}/review/{task.pk}/assign/")
    assert response.status_code == 302
    response = client.get(f"/workflow/estimate/{process.pk}/review/{task.pk}/execute/")
    assert response.status_code == 302
    assert response["Location"] == f"/estimates/{in_review.pk}/"


def test_the_estimate_page_links_to_its_process(
    client: Client, users: dict[str, Any], draft: Estimate
) -> None:
    client.force_login(users["hoi.silolau"])
    html = client.get(f"/estimates/{draft.pk}/").content.decode()
    assert f'href="{process_url(draft)}"' in html


#: viewflow's own words (its templates and code) that showed in English on the Vietnamese
#: site; the project's catalogue translates them (viewflow ships no Vietnamese).
VIEWFLOW_ENGLISH = ("Queue", "Archive", "Dashboard", "Inbox", "Process list", "Show all")


@pytest.mark.parametrize("path", ["", "inbox/", "queue/", "archive/"])
def test_viewflows_pages_speak_vietnamese(
    client: Client, users: dict[str, Any], nam_xe: Estimate, path: str
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    client.force_login(users["hoi.huyen"])
    response = client.get(f"/workflow/estimate/{path}")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi"' in html
    assert "Việc chờ nhận" in html and "Lưu trữ" in html  # the flow's menu: queue, archive
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S))
    for word in VIEWFLOW_ENGLISH:
        assert re.search(rf"\b{word}\b", text) is None, word


def test_the_process_list_counts_each_process_active_tasks(
    client: Client, users: dict[str, Any], draft: Estimate, nam_xe: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    response = client.get("/workflow/estimate/flows/")
    assert response.status_code == 200
    shown = {p.pk: p.active_tasks_count for p in response.context["object_list"]}
    for estimate in (draft, nam_xe):
        process = process_for(estimate)
        active = process.task_set.filter(finished__isnull=True).count()
        assert active >= 1
        assert shown[process.pk] == active
