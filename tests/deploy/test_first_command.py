"""README's first command on the embedded default: the setup steps of ``make setup`` on a
fresh SQLite file (Celery eager, no PostgreSQL), then the demo's main pages. The
PostgreSQL-only paths (the estimates' tally, the search's ``unaccent``) have SQLite
fallbacks; this keeps them working."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _setup_steps() -> list[list[str]]:
    """The ``manage.py`` commands of the Makefile's ``setup`` recipe, in order."""
    recipe = re.search(r"^setup:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe is not None
    steps = []
    for line in recipe.group(1).splitlines():
        found = re.search(r"manage\.py ([^>]+)", line)
        if found:
            steps.append(found.group(1).split())
    assert steps and steps[0][0] == "migrate"
    return steps


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.integration
def test_setup_and_the_demo_pages_work_on_sqlite(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    for step in _setup_steps():
        done = _manage(env, *step)
        assert done.returncode == 0, (step, done.stderr[-3000:])
    script = """
from django.test import Client
from django.contrib.auth import get_user_model
for username, paths in [
    ("hoi.huyen", ["/estimates/", "/estimates/inbox/", "/notifications/overdue/",
                   "/estimates/export.xlsx", "/workflow/estimate/flows/", "/reports/"]),
    ("hoi.silolau", ["/estimates/", "/estimates/new/"]),
]:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    for path in paths:
        answer = client.get(path)
        print(username, path, answer.status_code)
"""
    pages = _manage(env, "shell", "-c", script)
    assert pages.returncode == 0, pages.stderr[-3000:]
    answers = [line.split() for line in pages.stdout.splitlines() if line.startswith("hoi.")]
    assert len(answers) == 8, pages.stdout
    assert all(code == "200" for _user, _path, code in answers), pages.stdout
