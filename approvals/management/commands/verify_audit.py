from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from approvals.audit import Anchor, anchors_read, audit_verify
from approvals.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Re-compute the audit chain (keyed with AUDIT_HMAC_KEY); with --anchors, also compare "
        "it with the heads anchored outside the database. Exit non-zero naming the first "
        "edited, deleted or rewritten entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchors",
            metavar="FILE",
            help="an anchors file written by the audit_anchor task (AUDIT_ANCHOR_FILE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors: list[Anchor] = []
        if options.get("anchors"):
            try:
                anchors = anchors_read(options["anchors"])
            except (OSError, ValueError) as exc:
                raise CommandError(
                    _("The anchors file cannot be read: %(error)s") % {"error": exc}
                ) from exc
        problem = audit_verify(anchors=anchors)
        if problem is not None:
            raise CommandError(
                _("The audit trail is broken at entry #%(seq)s: %(msg)s")
                % {"seq": problem.seq, "msg": problem.message}
            )
        self.stdout.write(
            _("The audit trail is intact: %(n)s entries.") % {"n": AuditEntry.objects.count()}
        )
        if anchors:
            self.stdout.write(
                _("It agrees with %(n)s anchors.") % {"n": len({a.seq for a in anchors})}
            )
