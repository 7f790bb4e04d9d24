"""``manage.py app_grants`` (run by the compose file's migrate service as the owner role)
gives a role exactly docs/sql/app_grants.sql: rows read and written, the append-only
tables read and appended to only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql


@pytest.fixture
def role(db: None) -> Iterator[str]:
    name = f"p8_app_cmd_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)).as_string())
    yield name
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)).as_string())
        cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)).as_string())


def _may(role: str, table: str, privilege: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
        return bool(cursor.fetchone()[0])


def test_the_command_grants_the_application_role_its_rights(role: str) -> None:
    assert not _may(role, "estimates_estimate", "SELECT")
    call_command("app_grants", role=role)
    assert _may(role, "estimates_estimate", "SELECT")
    assert _may(role, "estimates_estimate", "UPDATE")
    assert _may(role, "approvals_auditentry", "INSERT")
    assert not _may(role, "approvals_auditentry", "UPDATE")
    assert not _may(role, "approvals_auditentry", "DELETE")
    assert not _may(role, "ledger_entry", "TRUNCATE")
    call_command("app_grants", role=role)  # idempotent


def test_the_command_refuses_a_role_name_that_is_not_plain(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("app_grants", role="p8_app; DROP TABLE x")
