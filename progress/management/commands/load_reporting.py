from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from progress.setup import reporting_load


class Command(BaseCommand):
    help = "Load a plan's reporting rules: periods, indicators, recipients (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        reporting = reporting_load(options["file"])
        self.stdout.write(
            _("Reporting rules of plan %(plan)s loaded.") % {"plan": reporting.plan.number}
        )
