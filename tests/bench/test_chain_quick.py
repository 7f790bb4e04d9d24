"""The benchmarks' code paths on tiny sizes, so they never rot: the chain (one chain of each
peer, on the test database) and the notifications (a few events a run, a real worker and a
Redis of the benchmark's own, on a database of its own)."""

from __future__ import annotations

from typing import Any

import pytest

from estimates.models import Plan


@pytest.mark.django_db(transaction=True)
def test_the_chain_benchmark_runs_every_peer_to_the_end(plan: Plan, users: dict[str, Any]) -> None:
    from bench import chain

    result = chain.run(quick=True, chains=1, own_database=False)
    assert result["name"] == "chain"
    assert [row[0] for row in result["rows"]] == [*chain.STEPS, "chain"]
    figures = result["figures"]
    for peer in chain.PEERS:
        assert len(figures["ms"][peer]["chain"]) == 1
    # Every product transition stays within its transaction's budget, and the plain
    # status column costs its four statements (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT).
    for step in chain.STEPS[1:]:
        assert figures["queries_in_tx"]["product"][step][0] <= 20
        assert figures["queries_in_tx"]["plain"][step] == [4]


def test_the_statement_counter_counts_begin_and_commit_too() -> None:
    from bench.chain import in_transaction

    events = ["BEGIN", "SELECT 1", "UPDATE x", "COMMIT", "BEGIN", "SELECT 2", "COMMIT"]
    assert in_transaction(events) == 4
    assert in_transaction(["SELECT 1"]) == 1


@pytest.mark.integration
def test_the_notifications_benchmark_loses_and_duplicates_nothing(
    django_db_blocker: Any,
) -> None:
    from bench import notifications

    with django_db_blocker.unblock():
        result = notifications.run(quick=True, events=4)
    runs = result["figures"]["runs"]
    assert [r["run"] for r in runs] == [title for title, _chaos in notifications.SCENARIOS]
    for r in runs:
        assert (r["lost"], r["duplicated"]) == (0, 0), r
        assert r["sent"] == r["expected"] == 4 * notifications.RECIPIENTS * 2
