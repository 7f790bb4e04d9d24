"""Each transition costs a fixed number of queries, however many estimates exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services
from estimates.models import Estimate
from tests.factories import estimates_bulk

People = dict[str, AbstractUser]

#: The pinned ceilings: a change that adds queries to a transition must raise these
#: knowingly.
CEILINGS = {"submit": 36, "forward": 32, "return": 31, "withdraw": 21}


def _count(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _measure(make: Callable[..., Estimate], people: People) -> dict[str, int]:
    drafter, reviewer = people["hoi.silolau"], people["hoi.huyen"]
    a = make("draft")
    b = make("review")
    c = make("review")
    d = make("review")
    return {
        "submit": _count(lambda: services.estimate_submit(actor=drafter, estimate_id=a.pk)),
        "forward": _count(lambda: services.estimate_forward(actor=reviewer, estimate_id=b.pk)),
        "return": _count(
            lambda: services.estimate_return(actor=reviewer, estimate_id=c.pk, reason="Bổ sung")
        ),
        "withdraw": _count(
            lambda: services.estimate_withdraw(
                actor=drafter, estimate_id=d.pk, reason="Không thực hiện"
            )
        ),
    }


def test_transition_queries_do_not_grow_with_the_data(
    make_estimate: Callable[..., Estimate], people: People
) -> None:
    _measure(make_estimate, people)  # warm the per-process caches (content types)
    estimates_bulk(make_estimate("draft"), 10)
    small = _measure(make_estimate, people)
    estimates_bulk(make_estimate("draft"), 500)
    large = _measure(make_estimate, people)
    assert large == small, f"10 estimates: {small}; 500 estimates: {large}"
    over = {name: n for name, n in large.items() if n > CEILINGS[name]}
    assert not over, f"more queries than pinned: {over} (pinned {CEILINGS})"
