"""viewflow's lists write each task's and process's brief without compiling a template per
row (``web.viewsets.task_brief``, ``process_brief``): the same words as viewflow's own
``brief``, for tasks of every node, open and finished, and processes in every status, in
Vietnamese and English; and the lists show them."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from viewflow.workflow.models import Process, Task

from estimates.models import Plan
from tests.factories import estimate_in_status, estimates_at_every_stage
from web.viewsets import process_brief, task_brief


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.django_db
def test_the_briefs_say_what_viewflow_would(plan: Plan, language: str) -> None:
    estimates_at_every_stage(plan)
    estimate_in_status("closed", plan=plan, drafter="hoi.silolau")
    tasks = list(Task.objects.select_related("process"))
    processes = list(Process.objects.all())
    assert {t.flow_task.name for t in tasks} >= {"draft", "review", "appraise", "approve"}
    assert any(t.finished for t in tasks) and any(p.finished for p in processes)
    with translation.override(language):
        for task in tasks:
            assert task_brief(task) == str(task.brief), task
        for process in processes:
            assert process_brief(process) == str(process.brief), process


@pytest.mark.django_db
def test_the_lists_show_the_briefs_in_vietnamese(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate_in_status("review", plan=plan, drafter="hoi.silolau")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    client.force_login(users["hoi.huyen"])
    with translation.override("vi"):
        flow = str(Process.objects.get().flow_class.process_title)
    html = client.get("/workflow/estimate/flows/").content.decode()
    assert "Tóm tắt" in html and f"{flow} - " in html
    html = client.get("/workflow/estimate/queue/").content.decode()
    assert "Xem xét" in html  # the review task's brief: its node's title
    html = client.get("/workflow/estimate/tasks/").content.decode()
    assert "Tóm tắt quy trình" in html and f"{flow} - " in html


@pytest.mark.django_db
def test_each_task_links_where_viewflow_would(plan: Plan) -> None:
    """The task's link (``#process/task``), its pattern reversed once per node, is the one
    viewflow reverses per row."""
    from viewflow.workflow.flow import views as vf_views

    from web.viewsets import EstimateQueueView

    estimates_at_every_stage(plan)
    view = EstimateQueueView()
    tasks = list(Task.objects.select_related("process").order_by("pk"))
    assert len({t.flow_task for t in tasks}) >= 4
    for task in tasks:
        assert view.task_id(task) == vf_views.FlowQueueListView.task_id(view, task)
