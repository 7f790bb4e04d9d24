from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from approvals.services.decisions import decision_issuers_load


class Command(BaseCommand):
    help = "Load the bodies that issue approval decisions (approvals/data/decision_issuers.yaml)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = decision_issuers_load()
        self.stdout.write(_("Decision issuers loaded: %(n)s.") % {"n": count})
