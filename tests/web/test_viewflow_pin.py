"""viewflow's lists keep the page to come back to in the session (``vf-pin-location``,
read by its task pages' "back"): a list shown again keeps it without writing the session
again (it was written on every request: three statements a page); another list, or the
same list with other filters, moves it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from estimates.models import Plan
from tests.factories import estimates_at_every_stage
from tests.web.test_scale import PINNED
from web.viewsets import PIN

#: viewflow's board and lists (the pages whose queries ``test_scale`` pins).
LISTS = sorted(PINNED)


def _session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
    ]


@pytest.mark.django_db
def test_a_list_shown_again_does_not_write_the_session(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimates_at_every_stage(plan)
    client.force_login(users["hoi.huyen"])
    for path in LISTS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        assert client.session[PIN] == path
        assert _session_writes(queries), path  # the pin moved: written
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        assert _session_writes(queries) == [], path
        assert client.session[PIN] == path
    filtered = "/workflow/estimate/queue/?flow_task=workflows/flows.EstimateFlow.review"
    assert client.get(filtered).status_code == 200
    assert client.session[PIN] == filtered
