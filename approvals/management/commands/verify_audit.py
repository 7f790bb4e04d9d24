from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from approvals.audit import audit_verify
from approvals.models import AuditEntry


class Command(BaseCommand):
    help = "Re-compute the audit chain; exit non-zero naming the first edited or deleted entry."

    def handle(self, *args: Any, **options: Any) -> None:
        problem = audit_verify()
        if problem is not None:
            raise CommandError(
                _("The audit trail is broken at entry #%(seq)s: %(msg)s")
                % {"seq": problem.seq, "msg": problem.message}
            )
        self.stdout.write(
            _("The audit trail is intact: %(n)s entries.") % {"n": AuditEntry.objects.count()}
        )
