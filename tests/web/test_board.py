"""viewflow's board of the estimate flow, drawn by the project: a column per stage of the
tasks open there, the newest ten of each with a "Show all" link when there are more, each
card with the one button its user may press; the same cards whether the columns are read
in one query (a few units) or one query a column (many)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Q
from django.test import Client
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from bench._scale import estimates_grow
from estimates.models import Plan
from organization.models import Unit
from tests.factories import estimates_at_every_stage
from web import viewsets
from workflows.flows import EstimateFlow

CARD = re.compile(r"#(\d+)/(\d+)</h2>")


def _expected(user: Any, node: Any, rows: int) -> list[tuple[int, int]]:
    """The newest ``rows`` open tasks of ``node`` among the estimates ``user`` sees."""
    tasks = viewsets.visible_tasks(
        Task.objects.filter(
            Q(finished__isnull=True) | Q(status=STATUS.ERROR),
            flow_task=node,
            process__flow_class=EstimateFlow,
        ),
        user,
    ).order_by("-created", "-pk")
    return [(t.process_id, t.pk) for t in tasks[:rows]]


@pytest.fixture
def crowded(plan: Plan) -> None:
    """Every stage waiting, then copies in the two communes until drafts and reviews
    overflow a column."""
    estimates_at_every_stage(plan)
    communes = list(
        Unit.objects.filter(code__in=["si-lo-lau", "nam-xe"]).values_list("pk", flat=True)
    )
    estimates_grow(120, communes)


@pytest.mark.parametrize("few_units", [50, 0], ids=["one query", "a query a column"])
@pytest.mark.parametrize("username", ["hoi.silolau", "hoi.huyen"])
@pytest.mark.django_db
def test_each_column_shows_its_newest_ten_tasks(
    crowded: None,
    client: Client,
    users: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    username: str,
    few_units: int,
) -> None:
    monkeypatch.setattr(viewsets, "FEW_UNITS", few_units)
    user = users[username]
    client.force_login(user)
    answer = client.get("/workflow/estimate/")
    assert answer.status_code == 200
    shown = 0
    overflowing = 0
    for column in answer.context["columns"]:
        expected = _expected(user, column["node"], 11)
        cards = [(c.process_id, c.task_id) for c in column["cards"]]
        assert cards == expected[:10], column["title"]
        assert column["more"] == (len(expected) == 11)
        overflowing += column["more"]
        shown += len(cards)
    assert overflowing >= 2  # drafts and reviews at least: the limit was exercised
    html = answer.content.decode()
    assert len(CARD.findall(html)) == shown + len(answer.context["finished"])
    assert html.count("?flow_task=") == overflowing  # "Xem tất cả", to the stage's list


@pytest.mark.django_db
def test_a_card_offers_the_button_of_its_user(
    crowded: None, client: Client, users: dict[str, Any]
) -> None:
    """The district Women's Union takes a task waiting for review; a commune officer
    only looks at it; viewflow's own checks (through the gate) decide."""
    review = EstimateFlow.review
    for username, action, label in (
        ("hoi.huyen", "assign", "Nhận việc"),
        ("hoi.silolau", "detail", "Xem"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        client.force_login(users[username])
        answer = client.get("/workflow/estimate/")
        column = next(c for c in answer.context["columns"] if c["node"] is review)
        card = column["cards"][0]
        assert card.action == action, username
        task = Task.objects.get(pk=card.task_id)
        assert card.url == review.reverse(action, args=[task.process_id, task.pk])
        html = answer.content.decode()
        assert f'href="{card.url}"' in html
        button = html.split(f'href="{card.url}"', 1)[1].split("</a>", 1)[0]
        assert label in button
