"""On PostgreSQL, every outbox event written wakes the listening relay at commit
(``notifications.relay``): ``NOTIFY notifications_outbox`` with the event's id, sent by the
server when (and only when) the transaction that wrote the event commits. The committing
process never talks to the broker."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION notifications_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('notifications_outbox', NEW.id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notifications_outboxevent_notify
    AFTER INSERT ON notifications_outboxevent
    FOR EACH ROW EXECUTE FUNCTION notifications_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS notifications_outboxevent_notify ON notifications_outboxevent;
DROP FUNCTION IF EXISTS notifications_outbox_notify();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_level_neutral_words")]
    operations = [migrations.RunPython(forwards, backwards)]
