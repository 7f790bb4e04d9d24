"""Indexes on viewflow's own tables for the flow pages at province scale (viewflow itself
is not changed): a process is found by its estimate (``artifact_object_id``, without the
content type viewflow's own index starts with), and the process list reads its newest
first page from an index instead of sorting every visible process."""

from django.db import migrations

INDEXES = {
    "flow_process_estimate": 'ON "viewflow_process" ("artifact_object_id")',
    "flow_process_newest": 'ON "viewflow_process" ("created" DESC, "id" DESC)',
}


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX IF NOT EXISTS "{name}" {target}',
            reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
        )
        for name, target in INDEXES.items()
    ]
