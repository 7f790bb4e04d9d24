"""Pages at scale: queries and time of every list and API list, per role, at 100 and 100,000.

On a database of its own (``bench_pages``): the plan, the demo users and estimates, 1,000
communes under the demo district, then estimates copied in bulk (``bench._scale``) until
there are ``SMALL`` (100), measured, then ``LARGE`` (100,000) over the same communes,
measured again. Each page is asked by each demo role through Django's test client (the whole
middleware stack, the second factor passed), once to warm up, then ``REPEAT`` times:
queries (the count of the last request), median and 95th percentile in ms. At the large
size every SELECT a page ran that reads the estimates table is run again under ``EXPLAIN``
and a sequential scan of that table is reported.

Targets (issue 13): the same number of queries at both sizes, and the median at 100,000 at
most 1.5 times the median at 100. ``--quick``: two roles, 100 communes, 2,000
estimates, one request after the warm-up.
Environment: ``BENCH_PAGES_LARGE``, ``BENCH_PAGES_REPEAT``.
"""

from __future__ import annotations

import json
import os
import time
from statistics import median
from typing import Any

from bench._support import django_database, percentile, result, tiny

#: The media type of an Excel export.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COMMUNES = 1000
SMALL = 100
LARGE = 100_000
#: Demo users, one per role.
ROLES = (
    "hoi.silolau",
    "ubnd.silolau",
    "hoi.huyen",
    "tckh",
    "pho.chutich",
    "ketoan",
    "quansat",
    "kiemtoan",
)
QUICK_ROLES = ("hoi.silolau", "hoi.huyen")
#: Every list a user can open (and the lists' exports).
PAGES = (
    "/estimates/inbox/",
    "/estimates/",
    "/estimates/?status=approval",
    "/estimates/?q=xa",
    "/estimates/?page=40",
    "/estimates/approve-many/",
    "/estimates/envelope/",
    "/estimates/advances/overdue/",
    "/dashboard/",
    "/reports/",
    "/reports/decisions/",
    "/notifications/",
    "/notifications/overdue/",
    "/delegations/",
    "/api/v1/estimates/",
    "/api/v1/estimates/?status=approval",
    "/api/v1/tasks/",
    "/api/v1/decisions/",
    "/workflow/estimate/",
    "/workflow/estimate/inbox/",
    "/workflow/estimate/queue/",
    "/workflow/estimate/archive/",
    "/workflow/estimate/tasks/",
    "/workflow/estimate/flows/",
    "/estimates/inbox/export.xlsx",
    "/estimates/export.xlsx?status=approval",
)
#: A request slower than this is not repeated (a page that does not scale would take the
#: run's whole time budget).
SLOW_SECONDS = 3.0


def _client(username: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.second_factor import VERIFIED_AT

    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(get_user_model().objects.get(username=username))
    session = client.session
    session[VERIFIED_AT] = time.time() + 10**6  # the second factor stays fresh for the run
    session.save()
    return client


def _measure(client: Any, path: str, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings: list[float] = []
    status = 0
    queries: list[str] = []
    for n in range(repeat + 1):
        connection.queries_log.clear()  # a deque of 9,000: a long page would fill it
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            answer = client.get(path)
            body = (
                b"".join(answer.streaming_content)
                if getattr(answer, "streaming", False)
                else answer.content
            )
            elapsed = time.perf_counter() - started
        status = answer.status_code
        queries = [q["sql"] for q in captured.captured_queries]
        shown = _rows_shown(answer, body)
        if n:  # the first is the warm-up
            timings.append(elapsed)
        if elapsed > SLOW_SECONDS:
            timings.append(elapsed)
            break
    return {"status": status, "queries": queries, "timings": timings, "rows": shown}


def _rows_shown(answer: Any, body: bytes = b"") -> int | None:
    """How many rows the page showed (its page of a list, the API's ``results``, the rows
    of an Excel export below its column titles), when it tells: an empty page skips its
    rows' reads, so it costs fewer queries than a full one whatever the size of the
    data."""
    if answer.get("Content-Type", "").startswith(XLSX) and body:
        return _xlsx_rows(body)
    context = getattr(answer, "context", None) or {}
    page = context.get("page")
    if page is not None and hasattr(page, "object_list"):
        return len(page.object_list)
    columns = context.get("columns")  # viewflow's board: the cards of its columns
    if isinstance(columns, list) and all(isinstance(c, dict) for c in columns):
        return sum(len(c.get("cards", c.get("tasks", ()))) for c in columns)
    if answer.get("Content-Type", "").startswith("application/json"):
        data = answer.json()
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            return len(data["results"])
    return None


def _shown(small: int | None, large: int | None) -> str:
    """ "rows at 100 / rows at 100,000", "–" where a page did not tell (an export queued
    for later answers with a page, not a file)."""
    if small is None and large is None:
        return "–"
    return f"{'–' if small is None else small}/{'–' if large is None else large}"


def _xlsx_rows(body: bytes) -> int:
    """The rows of an export's sheet below its frozen column titles (totals included)."""
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    titles = sheet.freeze_panes  # the first row below the titles ("A6")
    first = int("".join(c for c in titles if c.isdigit())) if titles else 1
    return max(0, sheet.max_row - first + 1)


def _sequential_scans(queries: list[str]) -> int:
    """How many of these SELECTs scan the estimates table sequentially (``EXPLAIN``)."""
    from django.db import connection

    from estimates.models import Estimate

    table = Estimate._meta.db_table
    found = 0
    with connection.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT") or table not in sql:
                continue
            try:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            except Exception:  # noqa: S112 - a statement EXPLAIN cannot take is skipped
                continue
            plan = json.dumps(cursor.fetchone()[0])
            if f'"Relation Name": "{table}"' in _seq_relations(plan):
                found += 1
    return found


def _seq_relations(plan_json: str) -> str:
    def walk(node: Any) -> list[str]:
        out: list[str] = []
        if isinstance(node, dict):
            if node.get("Node Type") == "Seq Scan":
                out.append(f'"Relation Name": "{node.get("Relation Name")}"')
            for value in node.values():
                out += walk(value)
        elif isinstance(node, list):
            for value in node:
                out += walk(value)
        return out

    return " ".join(walk(json.loads(plan_json)))


def _round(roles: tuple[str, ...], repeat: int, explain: bool) -> dict[tuple[str, str], Any]:
    figures: dict[tuple[str, str], Any] = {}
    for username in roles:
        client = _client(username)
        for path in PAGES:
            m = _measure(client, path, repeat)
            figures[(path, username)] = {
                "status": m["status"],
                "queries": len(m["queries"]),
                "rows": m["rows"],
                "median_ms": median(m["timings"]) * 1000,
                "p95_ms": percentile(m["timings"], 95) * 1000,
                "seq_scans": _sequential_scans(m["queries"]) if explain else None,
            }
    return figures


def run(quick: bool = False) -> dict[str, Any]:
    large = int(
        os.environ.get("BENCH_PAGES_LARGE", "300" if tiny() else "2000" if quick else LARGE)
    )
    small = min(SMALL, large)
    communes = 20 if tiny() else 100 if quick else COMMUNES
    repeat = int(os.environ.get("BENCH_PAGES_REPEAT", "1" if tiny() or quick else "5"))
    roles = QUICK_ROLES if quick or tiny() else ROLES
    with django_database("pages"):
        import logging

        from django.test.utils import setup_test_environment

        from bench import _scale

        setup_test_environment()  # the test client's host, and mail kept in memory
        logging.disable(logging.WARNING)  # a line per request is not the figure wanted

        _scale.base_load()
        commune_ids = _scale.communes_add(communes)
        built_small = _scale.estimates_grow(small, commune_ids)
        _scale.vacuum()
        print(
            f"   {built_small['estimates']:,} estimates over {len(commune_ids):,} communes",
            flush=True,
        )
        at_small = _round(roles, repeat, explain=False)
        built_large = _scale.estimates_grow(large, commune_ids)
        _scale.vacuum()
        print(
            f"   {built_large['estimates']:,} estimates, built in {built_large['seconds']:.1f} s",
            flush=True,
        )
        at_large = _round(roles, repeat, explain=True)
    rows: list[list[Any]] = []
    missed_queries = missed_time = fuller = scans = refused = errors = 0
    for (path, username), a in at_small.items():
        b = at_large[(path, username)]
        ratio = b["median_ms"] / a["median_ms"] if a["median_ms"] else float("nan")
        same = a["queries"] == b["queries"]
        missed_queries += not same
        missed_time += ratio > 1.5
        # The page shows more rows (or cards) at the large size: at the small one it was
        # not full, and part of the difference is the rows' rendering, not the data's size.
        fuller += ratio > 1.5 and (a["rows"] or 0) < (b["rows"] or 0)
        scans += bool(b["seq_scans"])
        refused += a["status"] == b["status"] == 403
        errors += a["status"] != b["status"] or (a["status"] >= 400 and a["status"] != 403)
        rows.append(
            [
                f"`{path}`",
                username,
                f"{a['status']}/{b['status']}",
                _shown(a["rows"], b["rows"]),
                a["queries"],
                b["queries"],
                a["median_ms"],
                b["median_ms"],
                b["p95_ms"],
                ratio,
                b["seq_scans"],
                "yes" if same and ratio <= 1.5 and not b["seq_scans"] else "no",
            ]
        )
    return result(
        "pages",
        f"Pages at {small:,} and at {large:,} estimates over {len(commune_ids):,} communes, "
        "per role",
        [
            "page",
            "role (demo user)",
            "HTTP",
            f"rows shown @{small:,}/@{large:,}",
            f"queries @{small:,}",
            f"queries @{large:,}",
            f"median ms @{small:,}",
            f"median ms @{large:,}",
            f"p95 ms @{large:,}",
            "× median",
            "seq scans of estimates",
            "target met",
        ],
        rows,
        notes=[
            f"{len(rows)} page × role pairs; query count grew on {missed_queries}, median above "
            f"1.5× on {missed_time} ({fuller} of them showing more rows at {large:,} than at "
            f"{small:,}, where the page was not full), a sequential scan of the estimates table "
            f"on {scans}; refused (403) at both sizes to a role that may not open it, as it "
            f"must be, on {refused}; an HTTP error on {errors}.",
            f"Bulk build of {built_large['estimates']:,} estimates (with processes and tasks): "
            f"{built_large['seconds']:.1f} s. Each page asked {repeat} times after a warm-up.",
        ],
        figures={
            "small": small,
            "large": large,
            "communes": len(commune_ids),
            "build_seconds": built_large["seconds"],
            "pages": [
                {"page": p, "role": u, "small": at_small[(p, u)], "large": at_large[(p, u)]}
                for (p, u) in at_small
            ],
        },
    )
