"""An index on viewflow's tasks for the queue, newest first within a stage's node
(viewflow itself is not changed): a district approver's queue walked every open task
newest first, 60,000 of them, to find the 25 of its approval stage."""

from django.db import migrations

NAME = "flow_task_node_newest"


class Migration(migrations.Migration):
    dependencies = [("workflows", "0003_merge_indexes_repair")]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX IF NOT EXISTS "{NAME}" ON "viewflow_task" '
            '("flow_task", "status", "created" DESC)',
            reverse_sql=f'DROP INDEX IF EXISTS "{NAME}"',
        )
    ]
