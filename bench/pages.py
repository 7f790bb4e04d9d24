"""Pages at scale: queries and time of every list and API list, per role, at 100 and 100,000.

On a database of its own (``bench_pages``): the plan, the demo users and estimates, 1,000
communes under the demo district, then estimates copied in bulk (``bench._scale``) until
there are ``SMALL`` (100); that database is copied (``bench_pages_small``), and the first
grows to ``LARGE`` (100,000) over the same communes. Each page is asked by each demo role
through Django's test client (the whole middleware stack, the second factor passed),
once to warm up on each database, then ``REPEAT`` times on each in turn, request by
request (each database on its own open connection and cache): queries (the count of the
last request), median and 95th percentile in ms. (Measured a round of every page at one
size after the other, a machine slowing down in the meantime made pages whose rows were
the same at both sizes look 2× slower.) At the large size every SELECT a page ran that
reads the estimates table is run again under ``EXPLAIN`` and a sequential scan of that
table is reported.

Targets (issue 13): the same number of queries at both sizes, and the median at 100,000 at
most 1.5 times the median at 100. ``--quick``: two roles, 100 communes, 2,000
estimates, one request after the warm-up.
Environment: ``BENCH_PAGES_LARGE``, ``BENCH_PAGES_REPEAT``.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from statistics import median
from typing import Any

from bench._support import (
    _database_copy,
    _database_drop,
    _database_use,
    _from_template,
    django_database,
    percentile,
    result,
    tiny,
)

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


def _measure(client: Any, path: str, repeat: int, *, warm: bool = True) -> dict[str, Any]:
    """``path`` asked ``repeat`` times, after a warm-up when ``warm``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings: list[float] = []
    status = 0
    queries: list[str] = []
    first = 1 if warm else 0
    for n in range(repeat + first):
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
        if n >= first:  # the first is the warm-up
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
    if page is None:  # viewflow's lists (an empty page is false: not ``or``)
        page = context.get("page_obj")
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


def _figures(m: dict[str, Any], explain: bool) -> dict[str, Any]:
    return {
        "status": m["status"],
        "queries": len(m["queries"]),
        "rows": m["rows"],
        "median_ms": median(m["timings"]) * 1000,
        "p95_ms": percentile(m["timings"], 95) * 1000,
        "seq_scans": _sequential_scans(m["queries"]) if explain else None,
    }


def _round(roles: tuple[str, ...], repeat: int, explain: bool) -> dict[tuple[str, str], Any]:
    figures: dict[tuple[str, str], Any] = {}
    for username in roles:
        client = _client(username)
        for path in PAGES:
            figures[(path, username)] = _figures(_measure(client, path, repeat), explain)
    return figures


class _Side:
    """One size's database and cache, both kept open while the other's are used: the
    pages are asked of the two sizes in turn, request by request, each side with its own
    warm connection (its prepared statements) and its own cache (the grants it keeps)."""

    def __init__(self, name: str) -> None:
        from django.core.cache.backends.locmem import LocMemCache
        from django.db import connections

        default = connections["default"]
        self.connection = type(default)({**default.settings_dict, "NAME": name}, "default")
        self.cache = LocMemCache(f"bench-pages-{name}", {})

    def use(self) -> None:
        from django.core.cache import caches
        from django.db import connections

        connections["default"] = self.connection
        caches["default"] = self.cache

    def close(self) -> None:
        self.connection.close()


def _measure_sides(client: Any, path: str, repeat: int, sides: list[_Side]) -> list[Any]:
    """``_measure`` of ``path`` on each side, in turn: a warm-up on each, then ``repeat``
    rounds of one request on each. A machine that slows down or speeds up during the run
    moves both sides' figures alike."""
    found: list[dict[str, Any]] = []
    for side in sides:  # the warm-ups
        side.use()
        found.append(_measure(client, path, 0))  # no timing, unless too slow to ask again
    for _ in range(repeat):
        for side, figures in zip(sides, found, strict=True):
            if figures["timings"] and figures["timings"][-1] > SLOW_SECONDS:
                continue  # a page that does not scale is not asked again
            side.use()
            m = _measure(client, path, 1, warm=False)
            figures.update(status=m["status"], queries=m["queries"], rows=m["rows"])
            figures["timings"] += m["timings"]
    return found


def _restore_default() -> None:
    """Django's own default connection and cache again (``_Side.use`` replaced them)."""
    from django.core.cache import caches
    from django.db import connections

    for handler in (connections, caches):
        with contextlib.suppress(AttributeError):
            del handler["default"]  # the next access creates it anew


def _rounds_side_by_side(
    clients: dict[str, Any], repeat: int, small: str, large: str
) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """Every page of every role at both sizes, request by request in turn
    (``_measure_sides``)."""
    from django.db import connections

    at_small: dict[tuple[str, str], Any] = {}
    at_large: dict[tuple[str, str], Any] = {}
    connections.close_all()  # Django's own, replaced by the sides' until the end
    sides = [_Side(small), _Side(large)]
    try:
        for username, client in clients.items():
            for path in PAGES:
                a, b = _measure_sides(client, path, repeat, sides)
                at_small[(path, username)] = _figures(a, False)
                sides[1].use()  # EXPLAIN on the large database
                at_large[(path, username)] = _figures(b, True)
    finally:
        for side in sides:
            side.close()
    return at_small, at_large


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

        from django.db import connections
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

        def grow() -> dict[str, Any]:
            built = _scale.estimates_grow(large, commune_ids)
            _scale.vacuum()
            print(
                f"   {built['estimates']:,} estimates, built in {built['seconds']:.1f} s",
                flush=True,
            )
            return built

        if _from_template():  # PostgreSQL: the small database kept beside the large one
            clients = {username: _client(username) for username in roles}  # both have them
            large_db = connections["default"].settings_dict["NAME"]
            small_db = f"{large_db}_small"
            connections.close_all()
            _database_copy(large_db, small_db)
            try:
                built_large = grow()
                at_small, at_large = _rounds_side_by_side(clients, repeat, small_db, large_db)
            finally:
                _restore_default()
                _database_use(large_db)
                _database_drop(small_db)
        else:
            at_small = _round(roles, repeat, explain=False)
            built_large = grow()
            at_large = _round(roles, repeat, explain=True)
    rows: list[list[Any]] = []
    grew = grew_empty = grew_queued = fell = missed_time = fuller = scans = refused = errors = 0
    for (path, username), a in at_small.items():
        b = at_large[(path, username)]
        ratio = b["median_ms"] / a["median_ms"] if a["median_ms"] else float("nan")
        same = a["queries"] == b["queries"]
        more = b["queries"] > a["queries"]
        grew += more
        # Why a page asks more at the large size: it showed no row at the small one (an
        # empty page reads neither rows nor what they offer), or it is an export, made in
        # the request at the small size and queued at the large one (too many rows).
        grew_empty += more and a["rows"] == 0
        grew_queued += more and ".xlsx" in path and a["rows"] is not None and b["rows"] is None
        fell += b["queries"] < a["queries"]
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
            f"{len(rows)} page × role pairs; query count grew on {grew} ({grew_empty} showing no "
            f"row at {small:,}, {grew_queued} exports queued at {large:,} instead of made in "
            f"the request, {grew - grew_empty - grew_queued} otherwise) and fell on {fell}; "
            "median above "
            f"1.5× on {missed_time} ({fuller} of them showing more rows at {large:,} than at "
            f"{small:,}, where the page was not full), a sequential scan of the estimates table "
            f"on {scans}; refused (403) at both sizes to a role that may not open it, as it "
            f"must be, on {refused}; an HTTP error on {errors}.",
            f"Bulk build of {built_large['estimates']:,} estimates (with processes and tasks): "
            f"{built_large['seconds']:.1f} s. Each page asked {repeat} times after a warm-up, "
            "at each size in turn (the small database kept beside the large one).",
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
