"""On PostgreSQL, refuse TRUNCATE of the audit trail as UPDATE and DELETE are refused, and
protect the chain head: the only change allowed is the audit writer's, one entry forward.

Row triggers do not fire on TRUNCATE: a statement-level ``BEFORE TRUNCATE`` trigger does.
It lets a TRUNCATE through only for the tables' owner (the migration role, which could
switch any trigger off anyway) in a session that asked for it with
``SET p8.allow_truncate = 'on'``: the test database sets it (``tests/conftest.py``) so that
pytest-django can flush it. The application's role owns nothing (docs/DATABASE_ROLES.md)
and is refused either way. SQLite (the embedded default) has no trigger: the hash chain
alone shows changes there."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION approvals_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('p8.allow_truncate', true) = 'on'
       AND pg_has_role(current_user,
                       (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only (TRUNCATE refused)', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER approvals_auditentry_no_truncate
    BEFORE TRUNCATE ON approvals_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_refuse_truncate();
CREATE TRIGGER approvals_auditchainhead_no_truncate
    BEFORE TRUNCATE ON approvals_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_refuse_truncate();

CREATE OR REPLACE FUNCTION approvals_audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.last_seq = 0 AND NEW.last_hash = '' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.last_seq = OLD.last_seq + 1 THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit chain head only moves one entry forward (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER approvals_auditchainhead_guard
    BEFORE INSERT OR UPDATE OR DELETE ON approvals_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION approvals_audit_head_guard();
"""
DROP = """
DROP TRIGGER IF EXISTS approvals_auditchainhead_guard ON approvals_auditchainhead;
DROP FUNCTION IF EXISTS approvals_audit_head_guard();
DROP TRIGGER IF EXISTS approvals_auditchainhead_no_truncate ON approvals_auditchainhead;
DROP TRIGGER IF EXISTS approvals_auditentry_no_truncate ON approvals_auditentry;
DROP FUNCTION IF EXISTS approvals_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_decisions")]
    operations = [migrations.RunPython(forwards, backwards)]
