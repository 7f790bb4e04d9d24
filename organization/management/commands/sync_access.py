from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from organization.permissions import access_sync


class Command(BaseCommand):
    help = "Recompute role groups and per-unit object permissions from the memberships."

    def handle(self, *args: Any, **options: Any) -> None:
        access_sync()
        self.stdout.write(_("Access rights are in line with the memberships."))
