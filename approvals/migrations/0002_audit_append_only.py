"""On PostgreSQL, refuse UPDATE and DELETE of audit entries at the database itself.

A database owner can still switch the trigger off; ``verify_audit`` catches what they then
change. SQLite (the embedded default) relies on the hash chain alone."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION approvals_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER approvals_auditentry_append_only
    BEFORE UPDATE OR DELETE ON approvals_auditentry
    FOR EACH ROW EXECUTE FUNCTION approvals_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS approvals_auditentry_append_only ON approvals_auditentry;
DROP FUNCTION IF EXISTS approvals_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
