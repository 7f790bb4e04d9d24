from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from estimates.plan_loader import PlanFileError, plan_load_file
from organization.permissions import access_sync


class Command(BaseCommand):
    help = "Load a plan (YAML or JSON) with its organisation, catalogue and envelope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(settings.DEFAULT_PLAN_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            result = plan_load_file(path)
        except PlanFileError as exc:
            raise CommandError(
                _("%(file)s was not loaded, nothing was written. %(error)s")
                % {"file": path.name, "error": exc}
            ) from exc
        access_sync()
        if result.changed:
            self.stdout.write(
                _("Plan %(number)s loaded: %(created)s created, %(updated)s updated.")
                % {
                    "number": result.plan.number,
                    "created": result.created,
                    "updated": result.updated,
                }
            )
        else:
            self.stdout.write(
                _("Plan %(number)s is already loaded: nothing changed.")
                % {"number": result.plan.number}
            )
