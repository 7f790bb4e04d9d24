"""The application's database role (docs/sql/app_grants.sql) owns nothing: connected as
it, the append-only triggers cannot be switched off and the audit trail and the ledger's
entries cannot be changed, deleted or truncated; the chain head only moves one entry
forward. The rest of the test suite runs as the database's owner."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
GRANTS = ROOT / "docs" / "sql" / "app_grants.sql"


def _params(**override: Any) -> dict[str, Any]:
    s = connection.settings_dict
    params = {
        "dbname": s["NAME"],
        "user": s["USER"],
        "password": s["PASSWORD"] or None,
        "host": s["HOST"] or None,
        "port": s["PORT"] or None,
    }
    params.update(override)
    return {k: v for k, v in params.items() if v is not None}


@pytest.fixture
def app_role(db: None) -> Iterator[dict[str, Any]]:
    """A role made like p8_app (the grants file with its name), and connection parameters
    to log in as it."""
    name = f"p8_app_test_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    with psycopg.connect(**_params(), autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOINHERIT").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
        try:
            admin.execute(GRANTS.read_text().replace("p8_app", name).encode())
            # The writer's first step makes the head row; make sure there is one to aim at.
            admin.execute(
                "INSERT INTO approvals_auditchainhead (id, last_seq, last_hash) "
                "VALUES (1, 0, '') ON CONFLICT DO NOTHING"
            )
            yield _params(user=name, password=password)
        finally:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _as_app(params: dict[str, Any], *statements: str) -> None:
    """Run ``statements`` in one transaction as the application's role (rolled back)."""
    with psycopg.connect(**params) as conn:
        for statement in statements:
            conn.execute(statement.encode())
        conn.rollback()


REFUSED = [
    ("SET session_replication_role = replica",),
    ("SET LOCAL session_replication_role = replica",),
    ("ALTER TABLE approvals_auditentry DISABLE TRIGGER ALL",),
    ("ALTER TABLE approvals_auditentry DISABLE TRIGGER approvals_auditentry_append_only",),
    ("ALTER TABLE ledger_entry DISABLE TRIGGER USER",),
    ("ALTER TABLE approvals_auditchainhead DISABLE TRIGGER approvals_auditchainhead_guard",),
    ("DROP TRIGGER approvals_auditentry_append_only ON approvals_auditentry",),
    ("UPDATE approvals_auditentry SET comment = 'sửa lén'",),
    ("DELETE FROM approvals_auditentry",),
    ("TRUNCATE approvals_auditentry",),
    ("SET p8.allow_truncate = 'on'", "TRUNCATE approvals_auditentry CASCADE"),
    ("UPDATE ledger_entry SET amount = 0",),
    ("DELETE FROM ledger_entry",),
    ("TRUNCATE ledger_entry",),
    ("DELETE FROM approvals_auditchainhead",),
    ("TRUNCATE approvals_auditchainhead",),
    ("UPDATE approvals_auditchainhead SET last_seq = last_seq + 5",),
    ("UPDATE approvals_auditchainhead SET last_hash = 'forged'",),
]


@pytest.mark.parametrize("statements", REFUSED, ids=[" ; ".join(s) for s in REFUSED])
def test_the_application_role_cannot_rewrite_the_trail(
    app_role: dict[str, Any], statements: tuple[str, ...]
) -> None:
    with pytest.raises(psycopg.Error) as refused:
        _as_app(app_role, *statements)
    assert isinstance(
        refused.value, psycopg.errors.InsufficientPrivilege | psycopg.errors.RaiseException
    ), refused.value


def test_the_application_role_owns_nothing_and_still_does_its_work(
    app_role: dict[str, Any],
) -> None:
    with psycopg.connect(**app_role) as conn:
        superuser, owned = conn.execute(
            "SELECT rolsuper, (SELECT count(*) FROM pg_class WHERE relowner = r.oid) "
            "FROM pg_roles r WHERE rolname = current_user"
        ).fetchone()  # type: ignore[misc]
        assert (superuser, owned) == (False, 0)
        conn.execute("SELECT count(*) FROM approvals_auditentry")
        conn.execute("SELECT count(*) FROM ledger_entry")
        # The audit writer's step: lock the head and move it one entry forward.
        conn.execute("SELECT * FROM approvals_auditchainhead WHERE id = 1 FOR UPDATE")
        conn.execute("UPDATE approvals_auditchainhead SET last_seq = last_seq + 1")
        conn.execute("UPDATE estimates_estimate SET title = title WHERE false")
        conn.rollback()


def test_the_application_role_wakes_the_relay_when_it_commits_an_event(
    app_role: dict[str, Any],
) -> None:
    """The outbox's trigger runs for the application's role, and its NOTIFY reaches a
    listener (a worker's relay, notifications.relay) at the commit, not before."""
    with (
        psycopg.connect(**app_role, autocommit=True) as listener,
        psycopg.connect(**app_role) as writer,
    ):
        listener.execute("LISTEN notifications_outbox")
        (pk,) = writer.execute(
            "INSERT INTO notifications_outboxevent (kind, status, comment, data, recipients, "
            "created_at, publish_count, handled_count, last_error) VALUES "
            "('estimate.submitted', '', '', '{}', '[]', now(), 0, 0, '') RETURNING id"
        ).fetchone()  # type: ignore[misc]
        try:
            assert list(listener.notifies(timeout=0.5)) == []  # not before the commit
            writer.commit()
            heard = [n.payload for n in listener.notifies(timeout=10, stop_after=1)]
            assert heard == [str(pk)]
        finally:
            writer.rollback()
            writer.execute("DELETE FROM notifications_outboxevent WHERE id = %s", [pk])
            writer.commit()
