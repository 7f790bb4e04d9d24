"""Load: locust, 50 users with think time then saturation, gunicorn in production settings.

On a database of its own (``bench_load``): the plan and demo data, 1,000 communes, 100,000
estimates in bulk (``bench._scale``), and ``USERS`` approvers of the district (each with a
password and a confirmed authenticator, TOTP, whose key the load users hold: they sign in
through the login page and the second-factor page like a person, and approve within the
second factor's freshness window), and a pool of estimates waiting for approval made
through the services (submit, forward, appraise: each with its ledger reservation and
audit trail). gunicorn runs ``config.wsgi`` with ``docker/gunicorn.conf.py`` and the
production settings (PostgreSQL, Redis cache and broker, JSON logs at INFO, the security
middleware) with ``WEB_WORKERS`` (default 4) processes; plain HTTP on 127.0.0.1, so the
cookies are not marked secure and HTTPS is not redirected to (the proxy's part is not
measured). locust (headless, one process) runs ``bench/_locustfile.py``: each user signs
in, then cycles through the inbox, the list, an estimate's page, the API list and one
approval (its form, then the post) while the pool lasts.

Two runs, each bounded in time: ``USERS`` users with 1-5 s think time between requests,
then the same users without think time (saturation). Printed per request kind and in all:
requests, requests/s, p50/p95/p99 in ms, errors. Targets (issue 13): p95 at most 150 ms
with think time; saturation at least 3 x 14.5 requests/s. Environment: ``BENCH_SECONDS``
(per run; default 60, quick 6), ``BENCH_LOAD_USERS`` (50, quick 10), ``BENCH_LOAD_POOL``
(estimates to approve; default 250, quick 20), ``WEB_WORKERS``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import _scale
from bench._support import ROOT, django_database, percentile, result, tiny

USERS = 50
TARGET_P95_MS = 150
TARGET_RPS = 3 * 14.5
PASSWORD = "bench-load-password"  # noqa: S105 (throw-away accounts of a throw-away database)


def _people(users: int, pool: int) -> dict[str, Any]:
    """Approvers with an authenticator each; estimates waiting for approval (made by the
    services); estimates to read."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from approvals import services
    from approvals.services import EstimateInput, LineInput
    from estimates.models import Estimate, Plan
    from organization.models import Membership, Role, Unit
    from organization.permissions import access_sync

    hasher = PBKDF2PasswordHasher()
    password = hasher.encode(PASSWORD, hasher.salt())
    office = Unit.objects.get(code="phong-tho.ubnd")
    accounts = []
    for n in range(users):
        user = get_user_model().objects.create(
            username=f"bench.duyet.{n}", password=password, email=f"duyet{n}@example.org"
        )
        Membership.objects.create(user=user, unit=office, role=Role.APPROVER)
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        accounts.append({"username": user.username, "key": device.key})
    access_sync()

    people = {u.username: u for u in get_user_model().objects.all()}
    plan = Plan.objects.get(number=_scale.PLAN)  # the demo loads the example plan too
    activity = next(
        a
        for c in plan.contents.order_by("sort_order")
        for a in c.activities.order_by("sort_order")
        if "commune" in a.levels
    )
    commune = Unit.objects.get(code="si-lo-lau")
    waiting: list[int] = []
    for n in range(pool):
        est = services.estimate_create(
            actor=people["hoi.silolau"],
            plan=plan,
            unit=commune,
            data=EstimateInput(
                activity_id=activity.pk,
                title=f"Chờ phê duyệt {n}",
                start_date=datetime.date(2024, 9, 1),
                end_date=datetime.date(2024, 9, 30),
                lines=[LineInput("Tài liệu", "bộ", 1, 100_000)],
            ),
        )
        services.estimate_submit(actor=people["hoi.silolau"], estimate_id=est.pk)
        services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
        services.estimate_appraise(actor=people["tckh"], estimate_id=est.pk)
        waiting.append(est.pk)
    # Estimates of plan 117's area, which the district approvers see (the demo's example
    # plan is another province's: opening one of its estimates is a 404).
    read = list(
        Estimate.objects.filter(plan=plan)
        .exclude(pk__in=waiting)
        .order_by("?")
        .values_list("pk", flat=True)[:500]
    )
    return {"users": accounts, "password": PASSWORD, "approve": waiting, "read": read}


KINDS = ("inbox", "list", "detail", "API list", "approve (form)", "approve (post)")


def _stats(timings: list[list[Any]], seconds: float) -> list[list[Any]]:
    """Per request kind and in all: count, requests/s, p50, p95, p99 (ms), errors."""
    out = []
    for kind in [*KINDS, None]:
        chosen = [t for t in timings if kind is None or t[0] == kind]
        if not chosen:
            continue
        ms = [t[1] for t in chosen]
        out.append(
            [
                kind or "**all**",
                len(chosen),
                len(chosen) / seconds,
                percentile(ms, 50),
                percentile(ms, 95),
                percentile(ms, 99),
                sum(1 for t in chosen if t[2]),
            ]
        )
    return out


#: The API's throttle per user during the runs (``API_THROTTLE_RATE``).
THROTTLE = "100000/min"

#: Failed requests of the runs, by request and error (from locust's failures file).
FAILURES: dict[str, int] = {}


def _locust(
    host: str, people: dict[str, Any], tmp: Path, users: int, seconds: int, think: str, out: Path
) -> tuple[list[list[Any]], float, dict[str, Any]]:
    people_file = tmp / "people.json"
    people_file.write_text(json.dumps(people))
    timings_file = Path(f"{out}-timings.json")
    env = {
        **os.environ,
        "BENCH_LOAD_PEOPLE": str(people_file),
        "BENCH_LOAD_THINK": think,
        "BENCH_LOAD_TIMINGS": str(timings_file),
    }
    subprocess.run(  # noqa: S603
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(ROOT / "bench" / "_locustfile.py"),
            "--headless",
            "--host",
            host,
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--csv",
            str(out),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=Path(f"{out}-locust.log").open("wb"),  # noqa: SIM115 - closed with the process
        timeout=seconds + 120,
    )
    failures = Path(f"{out}_failures.csv")
    if failures.exists():  # locust's own account of the failed requests: what and why
        with failures.open(encoding="utf-8") as f:
            for line in csv.DictReader(f):
                key = f"{line.get('Name')}: {line.get('Error')}"
                FAILURES[key] = FAILURES.get(key, 0) + int(line.get("Occurrences") or 0)
    recorded = json.loads(timings_file.read_text())
    timings, signed_in = recorded["timings"], recorded["signed_in"]
    if not timings:
        return [], 0.0, {}
    # The steady state: requests started once every user had signed in. While the users
    # sign in (10 a second, each password checked by a deliberately slow hash) the two cores
    # are busy with the sign-ins, and the first cycles wait behind them: reported apart.
    steady_from = max(signed_in, default=min(t[3] for t in timings))
    steady = [t for t in timings if t[3] - t[1] / 1000 >= steady_from]
    ramp = [t[1] for t in timings if t[3] - t[1] / 1000 < steady_from]
    # Throughput over the time the steady cycles ran.
    span = max((t[3] for t in steady), default=steady_from) - steady_from
    ramp_up = {
        "seconds": steady_from - min(t[3] - t[1] / 1000 for t in timings),
        "requests": len(ramp),
        "p95_ms": percentile(ramp, 95) if ramp else None,
        "p95_ms_all": percentile([t[1] for t in timings], 95),
    }
    return _stats(steady, max(span, 1.0)), span, ramp_up


def run(quick: bool = False) -> dict[str, Any]:
    from bench.web import _free_port, _server, _stop

    seconds = int(os.environ.get("BENCH_SECONDS", "15" if tiny() else "6" if quick else "60"))
    users = int(os.environ.get("BENCH_LOAD_USERS", "3" if tiny() else 10 if quick else USERS))
    pool = int(os.environ.get("BENCH_LOAD_POOL", "6" if tiny() else "20" if quick else "250"))
    size = 300 if tiny() else 2_000 if quick else 100_000
    workers = int(os.environ.get("WEB_WORKERS", "2" if tiny() else "4"))
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {}
    with django_database("load") as database, tempfile.TemporaryDirectory() as tmp:
        _scale.base_load()
        communes = _scale.communes_add(20 if tiny() else 100 if quick else 1000)
        built = _scale.estimates_grow(size, communes)
        print(f"   {built['estimates']:,} estimates over {len(communes):,} communes", flush=True)
        # Two sets of accounts: an authenticator code is accepted once, so the second run
        # does not sign in again with the first run's accounts within the same 30 s.
        people = _people(2 * users, pool)
        accounts = people["users"]
        pool_ids = list(people["approve"])
        _scale.vacuum()
        port = _free_port()
        log = Path(tmp) / "gunicorn.log"
        # The API's throttle per user (120 a minute in production) is raised: a simulated
        # user asks without a pause in the saturation run, many times what one official
        # does, and the run measures what the server can serve, not the throttle's refusals
        # (the throttle is tested in tests/api). It still counts every request.
        extra = {"LOG_LEVEL": "INFO", "API_THROTTLE_RATE": THROTTLE}
        server = _server(database, port, workers, log, extra=extra)
        try:
            runs = (("think time 1-5 s", "1,5"), ("saturation, no think time", "0,0"))
            for n, (label, think) in enumerate(runs):
                people["users"] = accounts[n * users : (n + 1) * users]
                people["approve"] = _waiting(pool_ids)
                stats, span, ramp_up = _locust(
                    f"http://127.0.0.1:{port}",
                    people,
                    Path(tmp),
                    users,
                    seconds,
                    think,
                    Path(tmp) / f"run{n}",
                )
                figures[label] = {"rows": stats, "seconds": span, "ramp_up": ramp_up}
                rows += [[label, *row] for row in stats]
        finally:
            _stop(server)
        errors = [line for line in log.read_text().splitlines() if '"level": "ERROR"' in line]
        figures["server_errors_logged"] = len(errors)
        figures["approvals_waiting_left"] = len(_waiting(pool_ids))
    aggregated = {r[0]: r for r in rows if r[1] == "**all**"}
    think_row = aggregated.get("think time 1-5 s")
    saturation_row = aggregated.get("saturation, no think time")
    notes = [
        f"{users} users, {seconds} s per run, gunicorn with {workers} processes, "
        f"{built['estimates']:,} estimates. Each user signs in first (password, then the "
        "authenticator code: not counted). The figures are the steady state: the requests "
        "of the cycles started once every user had signed in, requests/s over that time. "
        f"The API's throttle per user is raised to {THROTTLE} (a simulated user asks "
        "without a pause).",
        f"Approvals: a pool of {pool} estimates waiting for approval, made through the "
        f"services; {pool - figures['approvals_waiting_left']} approved during the runs "
        "(when the pool is empty a cycle has no approval).",
        f"Errors logged by the server: {figures['server_errors_logged']}.",
        "Failed requests by request and error: "
        + ("; ".join(f"{k} × {v}" for k, v in sorted(FAILURES.items())) or "none")
        + ".",
    ]
    figures["failures"] = dict(FAILURES)
    for label in ("think time 1-5 s", "saturation, no think time"):
        ramp = figures.get(label, {}).get("ramp_up")
        if ramp and ramp["requests"]:
            notes.append(
                f"{label}: while the users signed in ({ramp['seconds']:.1f} s, each password "
                f"checked by the slow hash) {ramp['requests']} requests of the first cycles "
                f"waited behind the sign-ins: p95 {ramp['p95_ms']:.0f} ms (not in the table; "
                f"p95 {ramp['p95_ms_all']:.0f} ms with them)."
            )
    if think_row is not None:
        notes.append(
            f"With think time: p95 {think_row[5]:.0f} ms (target ≤ {TARGET_P95_MS} ms): "
            f"{'met' if think_row[5] <= TARGET_P95_MS else 'missed'}."
        )
    if saturation_row is not None:
        notes.append(
            f"Saturation: {saturation_row[3]:.1f} requests/s (target ≥ {TARGET_RPS:.1f}): "
            f"{'met' if saturation_row[3] >= TARGET_RPS else 'missed'}."
        )
    return result(
        "load",
        f"Load at {built['estimates']:,} estimates: locust, {users} approvers, gunicorn "
        f"({workers} processes) with the production settings",
        ["run", "request", "requests", "requests/s", "p50 ms", "p95 ms", "p99 ms", "errors"],
        rows,
        notes=notes,
        figures=figures,
    )


def _waiting(pool: list[int]) -> list[int]:
    from estimates.models import Estimate

    return list(
        Estimate.objects.filter(pk__in=pool, status="approval")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
