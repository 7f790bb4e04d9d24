"""Participants per priority group become rows pointing at ``beneficiaries.PriorityGroup``
(they were a free {code: count} JSON). Counts whose code names a group in the table are
carried over; a code that names no group cannot be kept (it was never a group of the plan)."""

import django.db.models.deletion
from django.db import migrations, models


def copy_counts(apps, schema_editor):
    ReportActivity = apps.get_model("progress", "ReportActivity")
    ReportGroupCount = apps.get_model("progress", "ReportGroupCount")
    PriorityGroup = apps.get_model("beneficiaries", "PriorityGroup")
    groups = dict(PriorityGroup.objects.values_list("code", "pk"))
    rows = []
    for line in ReportActivity.objects.exclude(group_counts={}).iterator():
        for code, count in (line.group_counts or {}).items():
            if code in groups and isinstance(count, int) and 0 <= count <= 1_000_000:
                rows.append(ReportGroupCount(line_id=line.pk, group_id=groups[code], count=count))
    ReportGroupCount.objects.bulk_create(rows)


def copy_back(apps, schema_editor):
    ReportActivity = apps.get_model("progress", "ReportActivity")
    ReportGroupCount = apps.get_model("progress", "ReportGroupCount")
    per_line: dict[int, dict[str, int]] = {}
    for row in ReportGroupCount.objects.select_related("group"):
        per_line.setdefault(row.line_id, {})[row.group.code] = row.count
    for line_id, counts in per_line.items():
        ReportActivity.objects.filter(pk=line_id).update(group_counts=counts)


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0001_beneficiary_register"),
        ("progress", "0002_level_choices"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportGroupCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("count", models.PositiveIntegerField(verbose_name="participants")),
                (
                    "group",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="report_counts",
                        to="beneficiaries.prioritygroup",
                        verbose_name="priority group",
                    ),
                ),
                (
                    "line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="groups",
                        to="progress.reportactivity",
                    ),
                ),
            ],
            options={
                "verbose_name": "participants of a priority group in a report",
                "verbose_name_plural": "participants of priority groups in reports",
                "ordering": ["line", "group__sort_order"],
                "constraints": [
                    models.UniqueConstraint(fields=("line", "group"), name="report_group_count_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("count__gte", 0), ("count__lte", 1000000)),
                        name="report_group_count_range",
                    ),
                ],
            },
        ),
        migrations.RunPython(copy_counts, copy_back),
        migrations.RemoveField(model_name="reportactivity", name="group_counts"),
    ]
