import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.money import format_vnd
from estimates.models import Plan
from ledger.selectors import carry_over_reconcile


class Command(BaseCommand):
    help = (
        "Reconcile a plan's carried-over cells with the earlier plan it carries over from: "
        "per level and source, what the earlier plan's settlements carried out, and what "
        "this plan's cells brought in; --json for machines. Reads only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", required=True, help="the later plan's number")
        parser.add_argument("--json", action="store_true", help="amounts as integers in đồng")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.select_related("carried_from").filter(number=options["plan"]).first()
        if plan is None:
            raise CommandError(_("No plan numbered “%(n)s” is loaded.") % {"n": options["plan"]})
        rec = carry_over_reconcile(plan)
        if rec is None:
            raise CommandError(
                _("Plan %(n)s carries nothing over from an earlier plan.") % {"n": plan.number}
            )
        if options["json"]:
            self.stdout.write(json.dumps(rec.as_dict(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            _("Carried over from plan %(from)s into plan %(plan)s")
            % {"from": rec.earlier.number, "plan": plan.number}
        )
        for r in rec.rows:
            self.stdout.write(
                _("  out: %(level)s · %(source)s: %(amount)s → %(into)s")
                % {
                    "level": r.from_level_label,
                    "source": r.source_label,
                    "amount": format_vnd(r.carried_out),
                    "into": r.into_level_label or _("not brought into this plan"),
                }
            )
        for c in rec.cells:
            self.stdout.write(
                _("  in: %(level)s: %(in)s of %(recorded)s carried into it, %(left)s left")
                % {
                    "level": c.level_label,
                    "in": format_vnd(c.carried_in),
                    "recorded": format_vnd(c.recorded),
                    "left": format_vnd(c.unbrought),
                }
            )
        self.stdout.write(
            _("Total carried out %(out)s, brought in %(in)s: %(state)s")
            % {
                "out": format_vnd(rec.carried_out),
                "in": format_vnd(rec.carried_in),
                "state": _("reconciled") if rec.balanced else _("MORE BROUGHT IN THAN CARRIED"),
            }
        )
