from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from reorganisations.file import ReorganisationFileError
from reorganisations.services import reorganisation_apply_file


class Command(BaseCommand):
    help = (
        "Apply a reorganisation file (units merged, split or succeeded on a date): move the "
        "work in flight, the money, the people and their permissions to the successors. "
        "Atomic and idempotent; --dry-run prints what would move and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Print what would move.")
        parser.add_argument("--actor", help="Username recorded as having applied it.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        actor = None
        if options.get("actor"):
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(_("No user “%(name)s”.") % {"name": options["actor"]})
        try:
            plan = reorganisation_apply_file(path, actor=actor, dry_run=options["dry_run"])
        except (ReorganisationFileError, RuleViolation) as exc:
            raise CommandError(
                _("%(file)s was not applied, nothing was written. %(error)s")
                % {"file": path.name, "error": str(exc)}
            ) from exc
        for line in plan.lines():
            self.stdout.write(line)
        if options["dry_run"] and plan.already_applied is None:
            self.stdout.write(_("Dry run: nothing was written."))
        elif plan.already_applied is None:
            self.stdout.write(
                _("Applied: %(units)s units, %(estimates)s estimates moved.")
                % {"units": len(plan.moves), "estimates": len(plan.estimates)}
            )
