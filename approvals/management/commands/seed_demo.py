from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from approvals.demo import demo_estimates_create, demo_example_plan_load
from approvals.services.decisions import decision_issuers_load
from estimates.selectors import plan_default_for, plan_get_default
from organization import permissions as perms
from organization.demo import (
    DEMO_PASSWORD,
    EXAMPLE_DEMO_USERS,
    demo_allowed,
    demo_users_create,
)
from organization.models import Role


class Command(BaseCommand):
    help = "Create one demo user per role (embedded default and development settings only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not demo_allowed():
            raise CommandError(_("Demo users are disabled in these settings (DEMO_ENABLED)."))
        users = demo_users_create()
        # The demo's estimates go to the newest plan its first drafter drafts in (plan 117
        # even when a later plan, e.g. the example two-tier plan, is loaded beside it).
        drafter = get_user_model().objects.filter(username=users[0].username).first()
        plan = plan_default_for(drafter, perms.DRAFT) if drafter else plan_get_default()
        if plan is not None:
            decision_issuers_load()
            made = demo_estimates_create(plan)
            if made:
                self.stdout.write(_("%(n)s demo estimates created.") % {"n": len(made)})
            # Apps above this one (progress reports, monitoring notes) add their demo
            # through a ``demo_seed(plan)`` hook on their AppConfig: no upward import.
            for config in apps.get_app_configs():
                seed = getattr(config, "demo_seed", None)
                if seed is not None:
                    seed(plan)
        # The example two-tier plan beside it (a province and its communes, the commune
        # as the spending unit), its issuers and the demo users of its roles.
        example = demo_example_plan_load()
        self.stdout.write(_("Demo logins (password for all: %(pw)s):") % {"pw": DEMO_PASSWORD})
        self.stdout.write(f"  {'admin':<14} {_('administrator')}")
        for demo in users:
            self.stdout.write(f"  {demo.username:<14} {Role(demo.role).label} · {demo.label}")
        if example is not None:
            self.stdout.write(
                _("Example plan %(number)s (illustrative figures, two tiers):")
                % {"number": example.number}
            )
            for demo in EXAMPLE_DEMO_USERS:
                self.stdout.write(f"  {demo.username:<14} {demo.label}")
