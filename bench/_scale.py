"""Province-scale data for the benchmarks: 1,000 communes and up to 100,000 estimates, each
with its viewflow process and open task, written with set-based SQL (``INSERT ... SELECT``
over ``generate_series``, copying a demo estimate of each status, its process and its open
task), so 100,000 estimates take seconds, not the minutes the services would.

The copies are real rows of the product's tables: the pages, the API and viewflow's lists
read them as any other. They have no lines, no ledger rows and no audit entries (list pages
do not read those); the estimates a benchmark acts on are made through the services.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

#: The statuses copied, in turn (demo estimates exist in each).
STATUSES = ("draft", "review", "appraisal", "approval", "returned", "withdrawn")
PREFIX = "BENCH-"
#: The plan whose demo estimates are copied.
PLAN = "117/KH-UBND"


def base_load() -> None:
    """The plan, issuers, norms, demo users and demo estimates (the services' own way)."""
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        for command in ("load_plan", "load_issuers", "load_norms", "seed_demo"):
            call_command(command, verbosity=0, stdout=quiet)


def communes_add(count: int) -> list[int]:
    """``count`` communes under the demo district (the district roles reach them through
    ``access_sync``); returns the ids of every commune of the district."""
    from organization.models import Unit, UnitKind
    from organization.permissions import access_sync

    district = Unit.objects.get(code="phong-tho")
    have = Unit.objects.filter(kind=UnitKind.COMMUNE, code__startswith="bench-xa-").count()
    Unit.objects.bulk_create(
        [
            Unit(
                code=f"bench-xa-{n}",
                name=f"Xã số {n}",
                kind=UnitKind.COMMUNE,
                parent=district,
            )
            for n in range(have, count)
        ],
        batch_size=1000,
    )
    access_sync()
    # The district's communes only: the demo also loads the example plan's communes, under
    # another province, which the district's roles do not see.
    return list(
        Unit.objects.filter(kind=UnitKind.COMMUNE, parent=district)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


def _insert_select(
    model: Any,
    overrides: dict[str, str],
    source: str,
    template_pk: int,
    params: list[Any],
    where: str = "",
    where_params: tuple[Any, ...] = (),
) -> int:
    from django.db import connection

    table = model._meta.db_table
    columns = _columns(model)
    values = [overrides.get(c, f't."{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    # Names from the models and fragments of this module only; values are parameters.
    sql = (
        f'INSERT INTO "{table}" ({names}) '  # noqa: S608
        f'SELECT {", ".join(values)} FROM {source}, "{table}" AS t WHERE t.id = %s {where}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, template_pk, *where_params])
        return int(cursor.rowcount)


def estimates_grow(total: int, commune_ids: list[int]) -> dict[str, Any]:
    """Add copies until the product holds ``total`` estimates, spread over ``commune_ids``
    and ``STATUSES``, each with its process and the open task of its status; then
    ``ANALYZE``. Returns the count and the seconds it took."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from viewflow.workflow.models import Process, Task

    from estimates.models import Estimate

    started = time.monotonic()
    missing = total - Estimate.objects.count()
    estimate_ct = ContentType.objects.get_for_model(Estimate).pk
    offset = Estimate.objects.filter(number__startswith=PREFIX).count()
    templates: list[tuple[str, int, int, int]] = []
    for status in STATUSES:
        # Plan 117's (the demo also loads the example plan, whose estimates are not those of
        # the communes the copies go to).
        est = (
            Estimate.objects.filter(status=status, plan__number=PLAN)
            .exclude(number__startswith=PREFIX)
            .order_by("pk")
            .first()
        )
        if est is None:
            continue
        process = Process.objects.filter(
            artifact_content_type_id=estimate_ct, artifact_object_id=est.pk
        ).first()
        task = (
            Task.objects.filter(process=process, finished__isnull=True).first()
            if process is not None
            else None
        )
        if process is not None and task is not None:
            templates.append((status, est.pk, process.pk, task.pk))
    with transaction.atomic():
        for n, (_status, est_pk, process_pk, task_pk) in enumerate(templates):
            count = missing // len(templates) + (1 if n < missing % len(templates) else 0)
            if count <= 0:
                continue
            first = offset + 1
            offset += count
            last_id = Estimate.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            _insert_select(
                Estimate,
                {
                    "number": f"'{PREFIX}' || g",
                    "unit_id": "(%s::int[])[1 + (g %% array_length(%s::int[], 1))]",
                    "title": "'Dự toán số ' || g",
                    "created_at": "now() - g * interval '1 minute'",
                    "updated_at": "now() - g * interval '1 minute'",
                    "status_changed_at": "now() - g * interval '1 minute'",
                },
                "generate_series(%s::int, %s::int) AS g",
                est_pk,
                [commune_ids, commune_ids, first, offset],
            )
            last_process = Process.objects.order_by("-pk").values_list("pk", flat=True).first()
            _insert_select(
                Process,
                {"artifact_object_id": "e.id", "created": "e.created_at"},
                f'"{Estimate._meta.db_table}" AS e',
                process_pk,
                [],
                "AND e.id > %s",
                (last_id,),
            )
            _insert_select(
                Task,
                {"process_id": "p.id", "created": "p.created"},
                f'"{Process._meta.db_table}" AS p',
                task_pk,
                [],
                "AND p.id > %s",
                (last_process or 0,),
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"estimates": Estimate.objects.count(), "seconds": time.monotonic() - started}


def vacuum() -> None:
    """``VACUUM ANALYZE`` (outside a transaction), as autovacuum would have done on a
    database that grew over a year: the planner's statistics, and the visibility map that
    lets a count or a sum read an index alone; and the estimates' tally folded, as its beat
    task does every minute (``estimates.tally``); then a checkpoint."""
    from django.db import DatabaseError, connection

    from estimates.tally import tally_compact

    tally_compact()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # The bulk build left a hundred megabytes of changed pages in memory: written out now,
    # not by the next timed checkpoint while the pages are being measured (that slowed
    # every commit of the measured requests, a run's pages by up to 2x). Needs a superuser
    # or the pg_checkpoint role; skipped without one.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
