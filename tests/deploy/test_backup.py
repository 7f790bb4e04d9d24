"""The backup and restore commands of the README, run for real: the PostgreSQL ones
against this machine's server (the test database dumped, restored into a new database,
the rows counted in both), the uploaded files' ones on a directory."""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: The options of the README's commands (the test runs these, and checks the README says so).
DUMP = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
RESTORE = [
    "pg_restore",
    "--clean",
    "--if-exists",
    "--no-owner",
    "--no-privileges",
    "--exit-on-error",
]
MEDIA_BACKUP = ["tar", "-czf", "-", "-C", "/srv/media", "."]
MEDIA_RESTORE = ["tar", "-xzf", "-", "-C", "/srv/media"]
#: Tables the reference data fills (plan, units, users and their grants).
TABLES = [
    "estimates_plan",
    "organization_unit",
    "auth_user",
    "auth_group",
    "organization_membership",
]

# PostgreSQL's client programs (pg_dump, pg_restore) are on every machine of this kind:
# without them these tests fail, they are never skipped.


def test_the_readme_gives_these_commands() -> None:
    for command in (DUMP, RESTORE, MEDIA_BACKUP, MEDIA_RESTORE):
        assert " ".join(command) in README, command


def libpq_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"],
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def connect(name: str) -> psycopg.Connection:
    env = libpq_env()
    return psycopg.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD"),
        dbname=name,
        autocommit=True,
    )


@pytest.fixture
def restored_name(db: None) -> Iterator[str]:
    name = f"{settings.DATABASES['default']['NAME']}_restored"[:63]
    with connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts(name: str) -> dict[str, int]:
    with connect(name) as conn:
        query = sql.SQL("SELECT count(*) FROM {}")
        return {t: conn.execute(query.format(sql.Identifier(t))).fetchone()[0] for t in TABLES}


def test_a_dump_restores_into_another_database(restored_name: str, tmp_path: Path) -> None:
    source = settings.DATABASES["default"]["NAME"]
    dump = tmp_path / "project8.dump"
    env = libpq_env()
    with dump.open("wb") as out:
        subprocess.run([*DUMP, "--dbname", source], env=env, stdout=out, check=True)  # noqa: S603
    assert dump.stat().st_size > 0
    with dump.open("rb") as dump_in:
        subprocess.run(  # noqa: S603
            [*RESTORE, "--dbname", restored_name], env=env, stdin=dump_in, check=True
        )
    original = counts(source)
    assert original["estimates_plan"] >= 1 and original["auth_user"] >= 10
    assert counts(restored_name) == original
    # Restoring again over the restored database (--clean --if-exists) also works.
    with dump.open("rb") as dump_in:
        subprocess.run(  # noqa: S603
            [*RESTORE, "--dbname", restored_name], env=env, stdin=dump_in, check=True
        )
    assert counts(restored_name) == original


def test_uploaded_files_back_up_and_restore(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "documents" / "2024").mkdir(parents=True)
    (media / "documents" / "2024" / "chung-tu.pdf").write_bytes(b"%PDF-1.7 test")
    archive = tmp_path / "media.tgz"
    with archive.open("wb") as out:
        backup = [part.replace("/srv/media", str(media)) for part in MEDIA_BACKUP]
        subprocess.run(backup, stdout=out, check=True)  # noqa: S603
    with tarfile.open(archive) as tar:
        assert "./documents/2024/chung-tu.pdf" in tar.getnames()
    restored = tmp_path / "restored"
    restored.mkdir()
    with archive.open("rb") as archive_in:
        command = [part.replace("/srv/media", str(restored)) for part in MEDIA_RESTORE]
        subprocess.run(command, stdin=archive_in, check=True)  # noqa: S603
    assert (restored / "documents" / "2024" / "chung-tu.pdf").read_bytes() == b"%PDF-1.7 test"
