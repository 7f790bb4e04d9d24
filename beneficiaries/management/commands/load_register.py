from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from beneficiaries.loader import register_data_load


class Command(BaseCommand):
    help = (
        "Load the beneficiary register's reference data (ethnic groups, priority groups, "
        "activities with a beneficiary list). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        made = register_data_load()
        self.stdout.write(
            _(
                "Register data: %(ethnicities)s ethnic groups, %(priority_groups)s priority "
                "groups, %(register_activities)s activities created."
            )
            % made
        )
