"""``python -m bench [--quick] [--no-docs] [--output DIR] [name ...]``: run the benchmarks.

Each module of this package not starting with ``_`` is one benchmark with
``run(quick: bool = False) -> dict`` (``name``, ``title``, ``columns``, ``rows``, ``notes``,
``figures``) that prints its own table. This collects the answers, writes them with a
description of the machine to ``bench/results/<UTC timestamp>.json`` and, for a full run
(not ``--quick``), puts the tables into ``docs/benchmarks.md`` between the generated
markers, one section per benchmark (a run of some benchmarks replaces their sections only;
the hand-written reading around the markers is kept). A benchmark that fails is reported
and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import json
import os
import pkgutil
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench._support import ROOT, markdown_table

RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- bench:generated:begin (python -m bench writes this part) -->"
END = "<!-- bench:generated:end -->"


def available() -> list[str]:
    here = str(Path(__file__).resolve().parent)
    # Packages (``peers``: the bare flows the chain compares with) are not benchmarks.
    return sorted(
        m.name for m in pkgutil.iter_modules([here]) if not m.name.startswith("_") and not m.ispkg
    )


def _command(*args: str) -> str:
    try:
        return subprocess.run(  # noqa: S603
            list(args), cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    """Cores, memory, load, Python, PostgreSQL, Redis and the commit measured."""
    import django
    from django.conf import settings

    django.setup()
    description: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "load_average": os.getloadavg(),
        "commit": _command("git", "rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_command("git", "status", "--porcelain", "--untracked=no")),
    }
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                description["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    try:
        from django.db import connection

        with connection._nodb_cursor() as cursor:
            cursor.execute("SHOW server_version")
            description["postgresql"] = cursor.fetchone()[0]
    except Exception as error:
        description["postgresql"] = f"unknown ({type(error).__name__})"
    try:
        import redis

        info = redis.Redis.from_url(str(settings.CELERY_BROKER_URL)).info("server")
        description["redis"] = info.get("redis_version")
    except Exception as error:
        description["redis"] = f"unknown ({type(error).__name__})"
    return description


def machine_line(description: dict[str, Any]) -> str:
    load = ", ".join(f"{v:.1f}" for v in description.get("load_average", ()))
    return (
        f"{description.get('cores')} cores ({description.get('cpu')}), "
        f"{description.get('memory_gb', '?')} GB, Python {description.get('python')}, "
        f"PostgreSQL {description.get('postgresql')}, Redis {description.get('redis')}, "
        f"commit {description.get('commit')}"
        f"{' with uncommitted changes' if description.get('uncommitted_changes') else ''}; "
        f"load average at the start {load}"
    )


def section(answer: dict[str, Any], stamp: str) -> str:
    name = answer["name"]
    parts = [
        f"<!-- bench:{name} -->",
        f"### {answer['title']}",
        "",
        f"`python -m bench {name}`, {stamp}.",
        "",
        markdown_table(answer["columns"], answer["rows"]),
        "",
    ]
    parts += [f"- {note}" for note in answer.get("notes", [])]
    if answer.get("notes"):
        parts.append("")
    parts.append(f"<!-- /bench:{name} -->")
    return "\n".join(parts)


def write_doc(answers: list[dict[str, Any]], description: dict[str, Any], stamp: str) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = f"{text.rstrip()}\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    generated, tail = rest.split(END, 1)
    sections = {
        m.group(1): m.group(0)
        for m in re.finditer(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", generated, re.S)
    }
    for answer in answers:
        sections[answer["name"]] = section(answer, stamp)
    order = [n for n in available() if n in sections] + sorted(set(sections) - set(available()))
    body = "\n\n".join(sections[n] for n in order)
    machine_note = f"Last run on this machine: {machine_line(description)}."
    DOC.write_text(f"{head}{BEGIN}\n{machine_note}\n\n{body}\n{END}{tail}")


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"among {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under 2 minutes)")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    description = machine()
    print(f"== machine: {machine_line(description)}", flush=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    answers: list[dict[str, Any]] = []
    failed: list[str] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        started = time.monotonic()
        try:
            if "quick" in inspect.signature(module.run).parameters:
                answer = module.run(quick=args.quick)
            else:  # a benchmark not yet on the interface: it prints, returns nothing
                answer = module.run()
            if not isinstance(answer, dict):
                answer = {
                    "name": name,
                    "title": (module.__doc__ or name).strip().splitlines()[0],
                    "columns": ["note"],
                    "rows": [["printed only (see the run's output); no table returned"]],
                    "notes": [],
                    "figures": {},
                }
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        answer["seconds"] = round(time.monotonic() - started, 1)
        answers.append(answer)
        print(f"== {name}: done in {answer['seconds']:.1f}s", flush=True)
    description["load_average_at_end"] = os.getloadavg()
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(
        json.dumps(
            {"machine": description, "quick": args.quick, "failed": failed, "results": answers},
            ensure_ascii=False,
            indent=1,
            default=str,
        )
    )
    print(f"== figures written to {path}", flush=True)
    if not args.quick and not args.no_docs and answers:
        write_doc(answers, description, stamp)
        print(f"== tables written to {DOC}", flush=True)
    if failed:
        print(f"== failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
