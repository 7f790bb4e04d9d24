from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from ledger.norms_file import NormFileError, norms_load_file

DEFAULT_FILE = Path(settings.BASE_DIR) / "ledger" / "data" / "norms.yaml"


class Command(BaseCommand):
    help = "Load cost norms from a YAML file (default: the safe-childbirth norms). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            result = norms_load_file(path)
        except (NormFileError, RuleViolation) as exc:
            raise CommandError(
                _("%(file)s was not loaded, nothing was written. %(error)s")
                % {"file": path.name, "error": getattr(exc, "message", str(exc))}
            ) from exc
        self.stdout.write(
            _("Norms: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % result
        )
