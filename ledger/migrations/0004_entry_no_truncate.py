"""On PostgreSQL, refuse TRUNCATE of ledger entries as UPDATE and DELETE are refused
(``approvals.0005_audit_truncate_and_head`` explains the owner's opt-in that lets the test
database be flushed)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('p8.allow_truncate', true) = 'on'
       AND pg_has_role(current_user,
                       (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only (TRUNCATE refused)', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_no_truncate
    BEFORE TRUNCATE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_reason_limits")]
    operations = [migrations.RunPython(forwards, backwards)]
