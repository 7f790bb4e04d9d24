"""The benchmarks never rot: ``python -m bench --quick`` runs on the smallest sizes
(``BENCH_TINY=1``: every code path of ``make bench-quick``, a few seconds of load), each
benchmark returns its table, the JSON holds the machine's description, and the tables
land in ``docs/benchmarks.md`` between the generated markers with the hand-written reading
around them kept. Nothing here asserts a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

import bench.__main__ as bench_main

ROOT = Path(__file__).resolve().parents[2]
#: The benchmarks of this checkout run here (the chain and notifications ones have
#: tests of their own).
NAMES = ["reports", "pages", "load", "web"]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.mark.integration
def test_bench_quick_runs_every_benchmark_on_tiny_sizes(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BENCH_TINY": "1",
        "BENCH_DB_PREFIX": f"test_bench_{os.getpid()}_",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench", "--quick", "--output", str(tmp_path), *NAMES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (written,) = tmp_path.glob("*-quick.json")
    figures = json.loads(written.read_text())
    machine = figures["machine"]
    assert machine["cores"] >= 1 and machine["python"] and machine["commit"]
    assert not machine["postgresql"].startswith("unknown")
    assert not str(machine["redis"]).startswith("unknown")
    answers = {a["name"]: a for a in figures["results"]}
    assert sorted(answers) == sorted(NAMES)
    for answer in answers.values():
        assert answer["rows"] and all(len(r) == len(answer["columns"]) for r in answer["rows"])
        assert answer["title"] in done.stdout  # each printed its own table
    # Every page answered, at both sizes, with the same number of queries (a page that had
    # no row to show at the small size skips its rows' reads: only those may differ).
    pages = answers["pages"]["figures"]["pages"]
    assert all(p["small"]["status"] in (200, 403) for p in pages), pages
    shown = [p for p in pages if p["small"]["rows"] != 0]
    assert len(shown) > len(pages) // 2
    assert all(p["small"]["queries"] == p["large"]["queries"] for p in shown), [
        (p["page"], p["role"], p["small"]["queries"], p["large"]["queries"])
        for p in shown
        if p["small"]["queries"] != p["large"]["queries"]
    ]
    # The load run signed its users in (the second factor too) and approved.
    load = answers["load"]["figures"]
    assert load["server_errors_logged"] == 0
    assert load["approvals_waiting_left"] < 6
    assert all(row[-1] == 0 for row in answers["load"]["rows"])  # no failed request


def test_the_tables_replace_their_section_and_keep_the_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# Benchmarks\n\nReading by hand.\n\n{bench_main.BEGIN}\nold\n{bench_main.END}\n\n"
        "## After\n\nMore reading.\n"
    )
    monkeypatch.setattr(bench_main, "DOC", doc)
    machine = {"cores": 2, "python": "3.11", "load_average": (1.0, 1.0, 1.0)}

    def answer(name: str, value: int) -> dict[str, object]:
        return {"name": name, "title": f"T {name}", "columns": ["a"], "rows": [[value]]}

    bench_main.write_doc([answer("pages", 1), answer("load", 2)], machine, "stamp1")
    bench_main.write_doc([answer("pages", 3)], machine, "stamp2")
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n\nReading by hand.")
    assert text.endswith("## After\n\nMore reading.\n")
    assert "old" not in text
    assert "| 3 |" in text and "| 1 |" not in text  # pages replaced
    assert "| 2 |" in text  # load kept from the earlier run
    assert text.index("bench:load") < text.index("bench:pages")  # in the benchmarks' order
