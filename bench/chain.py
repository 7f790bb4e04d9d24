"""Chain: one estimate from draft to closed, three ways side by side in one run.

Three peers run the same stages (create, submit, forward, appraise, approve, settle,
verify), interleaved step by step so that whatever else loads the machine loads them alike
(the order of the three rotates at every step):

- **product**: ``approvals.services`` (the lock, the access gate, segregation of duties,
  the hash-chained audit entry, the ledger, the viewflow task, the outbox event and its
  publication to Redis after commit), each step as a fresh request's user;
- **viewflow**: a bare viewflow 2.x flow of the same stages (``bench.peers.flows``: a start, six
  human tasks, an end; viewflow's own ``Process`` and ``Task`` tables, its
  ``select_for_update`` lock on the process): each step locks the process, takes the task,
  assigns it and completes it, as viewflow's own task pages do; nothing else;
- **plain**: a status column in a table of the benchmark's own (raw SQL, created and
  dropped by the run): ``SELECT … FOR UPDATE``, check the source status, ``UPDATE``.

Queries are counted per step from the database wrapper, ``BEGIN``, ``COMMIT`` and
savepoints included (psycopg sends ``BEGIN`` before a transaction's first statement);
"in tx" is what runs inside the step's transaction, "all" adds what runs after its commit
(the product's relay). Times are wall-clock per step (median and 95th percentile over the
chains), the chain's time is the sum of its steps.

Environment: ``BENCH_CHAINS`` (default 30; quick 3), ``CELERY_BROKER_URL`` (the Redis
the product publishes to; its queue is purged at the end), ``DATABASE_URL`` (the server:
a database ``bench_chain`` is created on it and dropped).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from statistics import median
from typing import Any

from bench._support import django_database, percentile
from bench.peers import installed as peers_installed

STEPS = ("create", "submit", "forward", "appraise", "approve", "settle", "verify")
PEERS = ("product", "viewflow", "viewflow-linear", "plain")
PLAIN_TABLE = "bench_plain_chain"
#: The plain peer's table: the status each step leaves the row in, and the status it
#: starts from.
PLAIN_MOVES = {
    "submit": ("draft", "review"),
    "forward": ("review", "appraisal"),
    "appraise": ("appraisal", "approval"),
    "approve": ("approval", "approved"),
    "settle": ("approved", "settlement"),
    "verify": ("settlement", "closed"),
}


class QueryCounter:
    """Every statement the connection sends, with ``BEGIN``, ``COMMIT`` and ``ROLLBACK``
    (which Django does not route through the cursor) put back in their places."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.events: list[str] = []
        self._in_tx = False

    def _wrapper(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not self.connection.autocommit and not self._in_tx:
            self.events.append("BEGIN")
            self._in_tx = True
        self.events.append(sql)
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[str]]:
        connection = self.connection
        connection.ensure_connection()
        commit, rollback = connection._commit, connection._rollback

        def _commit() -> None:
            if self._in_tx:
                self.events.append("COMMIT")
            self._in_tx = False
            commit()

        def _rollback() -> None:
            if self._in_tx:
                self.events.append("ROLLBACK")
            self._in_tx = False
            rollback()

        self.events = []
        self._in_tx = False
        connection._commit, connection._rollback = _commit, _rollback
        try:
            with connection.execute_wrapper(self._wrapper):
                yield self.events
        finally:
            del connection._commit, connection._rollback


def in_transaction(events: list[str]) -> int:
    """The statements of the step's first transaction, ``BEGIN`` to ``COMMIT``."""
    if "BEGIN" not in events:
        return len(events)
    start = events.index("BEGIN")
    end = events.index("COMMIT", start) if "COMMIT" in events[start:] else len(events) - 1
    return end - start + 1


# ---------------------------------------------------------------------------------------
# The peers: each ``chain()`` returns a function per step.


@dataclass
class Chain:
    steps: dict[str, Callable[[], Any]]
    result: Callable[[], Any]
    prepare: Callable[[str], None] = lambda step: None


class Product:
    """``approvals.services``, as the pages and the API call them."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from estimates.models import Plan
        from organization.models import Unit

        self.users = {
            u.username: u
            for u in get_user_model().objects.filter(
                username__in=["hoi.silolau", "hoi.huyen", "tckh", "pho.chutich"]
            )
        }
        self.plan = Plan.objects.order_by("pk")[0]
        self.unit = Unit.objects.get(code="si-lo-lau")
        activity = self.plan.contents.order_by("sort_order")[0].activities.order_by("sort_order")[0]
        self.activity_id = activity.pk

    def _fresh(self, username: str) -> Any:
        """The user as a new request sees them, grants read by the gate (before the step,
        as the page or the API endpoint does)."""
        from django.contrib.auth import get_user_model

        from organization.permissions import unit_grants_of

        user = get_user_model().objects.get(pk=self.users[username].pk)
        unit_grants_of(user)
        return user

    def chain(self, i: int) -> Chain:
        from approvals import services
        from approvals.services import EstimateInput, LineInput
        from estimates.models import EstimateLine

        state: dict[str, Any] = {}
        data = EstimateInput(
            activity_id=self.activity_id,
            title=f"Chain {i}",
            start_date=dt.date(2024, 5, 1),
            end_date=dt.date(2024, 6, 30),
            lines=[LineInput("Bench", "người", 1, 100_000)],
        )

        def create() -> None:
            state["pk"] = services.estimate_create(
                actor=state["user"], plan=self.plan, unit=self.unit, data=data
            ).pk

        def settle() -> None:
            services.estimate_settle(
                actor=state["user"], estimate_id=state["pk"], lines=state["lines"]
            )

        def call(fn: Callable[..., Any]) -> Callable[[], Any]:
            return lambda: fn(actor=state["user"], estimate_id=state["pk"])

        steps = {
            "create": (create, "hoi.silolau"),
            "submit": (call(services.estimate_submit), "hoi.silolau"),
            "forward": (call(services.estimate_forward), "hoi.huyen"),
            "appraise": (call(services.estimate_appraise), "tckh"),
            "approve": (call(services.estimate_approve), "pho.chutich"),
            "settle": (settle, "hoi.silolau"),
            "verify": (call(services.estimate_verify_settlement), "tckh"),
        }

        def prepare(step: str) -> None:
            state["user"] = self._fresh(steps[step][1])
            if step == "settle":  # the settlement form lists the lines it posts
                state["lines"] = [
                    {"line_id": pk, "spent": 0}
                    for pk in EstimateLine.objects.filter(estimate_id=state["pk"]).values_list(
                        "pk", flat=True
                    )
                ]

        return Chain(
            steps={name: fn for name, (fn, _who) in steps.items()},
            prepare=prepare,
            result=lambda: state["pk"],
        )

    def check(self, pks: list[int]) -> None:
        from estimates.models import Estimate

        assert Estimate.objects.filter(pk__in=pks).exclude(status="closed").count() == 0  # noqa: S101


class Viewflow:
    """A bare viewflow flow of the same stages: ``bench.peers.flows.RoutedFlow`` (the
    product's routes, a gateway after each stage that may go more than one way, the
    person's choice saved on the process) or, with ``linear``, ``BareFlow`` (one way
    only: no choice, no gateway)."""

    def __init__(self, *, linear: bool = False) -> None:
        from django.contrib.auth import get_user_model

        self.linear = linear
        self.users = {
            u.username: u
            for u in get_user_model().objects.filter(
                username__in=["hoi.silolau", "hoi.huyen", "tckh", "pho.chutich"]
            )
        }

    @property
    def flow_class(self) -> Any:
        from bench.peers.flows import BareFlow, RoutedFlow

        return BareFlow if self.linear else RoutedFlow

    def chain(self, i: int) -> Chain:
        from viewflow.workflow.status import STATUS

        flow_class = self.flow_class
        state: dict[str, Any] = {}

        def create() -> None:
            state["process"] = flow_class.start.run()

        def complete(username: str, choice: str | None) -> Callable[[], None]:
            def run() -> None:
                process_pk = state["process"].pk
                with flow_class.lock(process_pk):
                    task = (
                        flow_class.task_class.objects.select_related("process")
                        .filter(process_id=process_pk, status__in=[STATUS.NEW, STATUS.ASSIGNED])
                        .get()
                    )
                    activation = task.flow_task.activation_class(task)
                    activation.assign(self.users[username])
                    activation.start(None)
                    if choice is not None and not self.linear:
                        task.process.data = {**(task.process.data or {}), "choice": choice}
                        task.process.save(update_fields=["data"])
                    activation.execute()

            return run

        steps: dict[str, Callable[[], Any]] = {
            "create": create,
            "submit": complete("hoi.silolau", "commune"),
            "forward": complete("hoi.huyen", "forward"),
            "appraise": complete("tckh", "approve"),
            "approve": complete("pho.chutich", "approve"),
            "settle": complete("hoi.silolau", None),
            "verify": complete("tckh", "close"),
        }
        return Chain(steps=steps, result=lambda: state["process"])

    def check(self, processes: list[Any]) -> None:
        from viewflow.workflow.status import PROCESS

        done = self.flow_class.process_class.objects.filter(
            pk__in=[p.pk for p in processes], status=PROCESS.DONE
        ).count()
        assert done == len(processes), (done, len(processes))  # noqa: S101


class Plain:
    """A status column: lock the row, check where it is, move it."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {PLAIN_TABLE} ("
                "id bigserial PRIMARY KEY, status varchar(20) NOT NULL, "
                "changed_at timestamptz NOT NULL)"
            )

    @staticmethod
    def drop() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")

    def chain(self, i: int) -> Chain:
        from django.db import connection, transaction

        state: dict[str, Any] = {}

        def create() -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {PLAIN_TABLE} (status, changed_at) "  # noqa: S608
                    "VALUES ('draft', now()) RETURNING id"
                )
                state["pk"] = cursor.fetchone()[0]

        def move(step: str) -> Callable[[], None]:
            source, target = PLAIN_MOVES[step]

            def run() -> None:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT status FROM {PLAIN_TABLE} WHERE id = %s FOR UPDATE",  # noqa: S608
                        [state["pk"]],
                    )
                    (status,) = cursor.fetchone()
                    if status != source:
                        raise RuntimeError(f"{step}: the row is {status}, not {source}")
                    cursor.execute(
                        f"UPDATE {PLAIN_TABLE} SET status = %s, changed_at = now() "  # noqa: S608
                        "WHERE id = %s",
                        [target, state["pk"]],
                    )

            return run

        return Chain(
            steps={"create": create, **{step: move(step) for step in PLAIN_MOVES}},
            result=lambda: state["pk"],
        )

    def check(self, pks: list[int]) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {PLAIN_TABLE} WHERE status = 'closed' AND id = ANY(%s)",  # noqa: S608
                [pks],
            )
            assert cursor.fetchone()[0] == len(pks)  # noqa: S101


# ---------------------------------------------------------------------------------------


def _reference_data() -> None:
    from django.conf import settings
    from django.utils import translation

    from approvals.services.decisions import decision_issuers_load
    from estimates.plan_loader import plan_load_file
    from organization.demo import demo_users_create

    with translation.override("en"):
        plan_load_file(settings.DEFAULT_PLAN_FILE)
        demo_users_create()
        decision_issuers_load()


def measure(chains: int) -> dict[str, Any]:
    """Run one warm-up chain and then ``chains`` chains of each peer, interleaved step by
    step; the raw figures per peer and step (ms, statements in the step's transaction,
    statements in all)."""
    from django.db import connection

    counter = QueryCounter(connection)
    peers: dict[str, Any] = {
        "product": Product(),
        "viewflow": Viewflow(),
        "viewflow-linear": Viewflow(linear=True),
        "plain": Plain(),
    }
    ms: dict[str, dict[str, list[float]]] = {p: {s: [] for s in STEPS} for p in PEERS}
    in_tx: dict[str, dict[str, list[int]]] = {p: {s: [] for s in STEPS} for p in PEERS}
    total: dict[str, dict[str, list[int]]] = {p: {s: [] for s in STEPS} for p in PEERS}
    results: dict[str, list[Any]] = {p: [] for p in PEERS}
    try:
        for n in range(1 + chains):  # chain 0 warms the caches (imports, content types)
            runs = {name: peer.chain(n) for name, peer in peers.items()}
            for k, step in enumerate(STEPS):
                turn = (n + k) % len(PEERS)
                for name in PEERS[turn:] + PEERS[:turn]:
                    run = runs[name]
                    run.prepare(step)
                    with counter.counting() as events:
                        started = time.perf_counter()
                        run.steps[step]()
                        elapsed = (time.perf_counter() - started) * 1000
                    if n:
                        ms[name][step].append(elapsed)
                        in_tx[name][step].append(in_transaction(events))
                        total[name][step].append(len(events))
            for name, run in runs.items():
                results[name].append(run.result())
        for name, peer in peers.items():
            peer.check(results[name])
    finally:
        Plain.drop()
    return {"ms": ms, "in_tx": in_tx, "queries": total}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def summarize(raw: dict[str, Any], chains: int) -> dict[str, Any]:
    """The table (a row per step and one for the chain) and the figures behind it."""
    ms, in_tx, queries = raw["ms"], raw["in_tx"], raw["queries"]

    def chain_sum(data: dict[str, dict[str, list[Any]]], p: str) -> list[Any]:
        return [sum(data[p][s][i] for s in STEPS) for i in range(chains)]

    ms = {**ms}
    for p in PEERS:
        ms[p] = {**ms[p], "chain": chain_sum(raw["ms"], p)}
        in_tx[p] = {**in_tx[p], "chain": chain_sum(raw["in_tx"], p)}
        queries[p] = {**queries[p], "chain": chain_sum(raw["queries"], p)}
    columns = ["step"]
    for p in PEERS:
        columns += [f"{p} ms median / p95", f"{p} queries in tx / all"]
    others = [p for p in PEERS if p != "product"]
    columns += [f"product / {p}" for p in others]
    rows: list[list[Any]] = []
    for s in (*STEPS, "chain"):
        row: list[Any] = [s]
        for p in PEERS:
            row += [
                f"{median(ms[p][s]):.1f} / {percentile(ms[p][s], 95):.1f}",
                f"{median(in_tx[p][s]):g} / {median(queries[p][s]):g}",
            ]
        row += [_ratio(median(ms["product"][s]), median(ms[p][s])) for p in others]
        rows.append(row)
    ratios = {p: median(ms["product"]["chain"]) / median(ms[p]["chain"]) for p in others}
    worst = max(max(in_tx["product"][s]) for s in STEPS if s != "create")
    notes = [
        f"{chains} chains of each peer after one warm-up chain, interleaved step by step "
        f"(the order rotating) on PostgreSQL; times are wall-clock on this machine "
        f"({os.cpu_count()} CPUs, shared with whatever else runs on it).",
        "queries: statements sent, BEGIN/COMMIT/SAVEPOINT included; 'in tx' is the step's "
        "own transaction, 'all' adds what runs after its commit (the product's relay).",
        "viewflow: the product's routes (a gateway after each stage that may go two ways, "
        "the choice saved on the process); viewflow-linear: one way only, no gateway.",
        f"target: the product's chain at most 1.5x bare viewflow's time: "
        f"{ratios['viewflow']:.2f}x ({'met' if ratios['viewflow'] <= 1.5 else 'missed'}; "
        f"{ratios['viewflow-linear']:.2f}x the linear flow's); the most statements a product "
        f"transition ran in its transaction: {worst} (at most 20: "
        f"{'met' if worst <= 20 else 'missed'}).",
    ]
    figures = {
        "chains": chains,
        "steps": [*STEPS, "chain"],
        "ms": ms,
        "queries_in_tx": in_tx,
        "queries_all": queries,
        "ratios_chain_median": ratios,
    }
    return {
        "name": "chain",
        "title": "The chain draft → closed: this product, bare viewflow, a plain status column",
        "columns": columns,
        "rows": rows,
        "notes": notes,
        "figures": figures,
    }


def table_print(result: dict[str, Any]) -> None:
    """The table as text: one block per peer, then the ratios."""
    print(f"   {result['title']}")
    header = ["step", *result["columns"][1:]]
    widths = [
        max(len(str(c)), *(len(str(r[i])) for r in result["rows"])) for i, c in enumerate(header)
    ]
    print("   " + "  ".join(str(c).rjust(w) for c, w in zip(header, widths, strict=True)))
    for row in result["rows"]:
        print("   " + "  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    for note in result["notes"]:
        print(f"   {note}")


def run(
    quick: bool = False, *, chains: int | None = None, own_database: bool = True
) -> dict[str, Any]:
    """Measure and print; ``chains`` defaults to 30 (3 when ``quick``). Without
    ``own_database`` it runs on the database Django is set up with (the caller's: a test's),
    which must hold the plan and the demo users."""
    n = chains or int(os.environ.get("BENCH_CHAINS", "3" if quick else "30"))
    if own_database:
        with django_database("chain"), peers_installed():
            _reference_data()
            try:
                raw = measure(n)
            finally:
                _queue_purge()
    else:
        with peers_installed():
            raw = measure(n)
    result = summarize(raw, n)
    table_print(result)
    return result


def _queue_purge() -> None:
    """The product published its events to the broker for a worker that does not run here."""
    from config.celery import app

    with contextlib.suppress(Exception):
        app.control.purge()
