from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from approvals.services.decisions import ISSUERS_FILE, decision_issuers_load


class Command(BaseCommand):
    help = (
        "Load the bodies that issue approval decisions (default "
        "approvals/data/decision_issuers.yaml; units not loaded are skipped)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(ISSUERS_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        count = decision_issuers_load(Path(options["file"]))
        self.stdout.write(_("Decision issuers loaded: %(n)s.") % {"n": count})
