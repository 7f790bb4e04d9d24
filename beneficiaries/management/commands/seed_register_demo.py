from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from beneficiaries.demo import demo_beneficiaries_create
from estimates.selectors import plan_get_default
from organization.demo import demo_allowed


class Command(BaseCommand):
    help = "Create demo beneficiaries (embedded default and development settings only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not demo_allowed():
            raise CommandError(_("Demo users are disabled in these settings (DEMO_ENABLED)."))
        plan = plan_get_default()
        if plan is None:
            return
        made = demo_beneficiaries_create(plan)
        if made:
            self.stdout.write(_("%(n)s demo beneficiaries created.") % {"n": len(made)})
