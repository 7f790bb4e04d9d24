"""The default stage deadlines as rows an administrator can edit."""

from django.db import migrations

DEFAULTS = {"review": 5, "appraisal": 5, "approval": 3}


def create(apps, schema_editor):
    StageDeadline = apps.get_model("notifications", "StageDeadline")
    for status, days in DEFAULTS.items():
        StageDeadline.objects.get_or_create(
            status=status, defaults={"working_days": days, "escalate_after": 2}
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
