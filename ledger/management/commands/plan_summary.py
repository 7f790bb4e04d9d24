import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.money import format_vnd
from estimates.models import Plan, Source
from estimates.selectors import plan_communes, plan_get_default
from ledger.selectors import cell_balances, commune_balances

#: The figures shown per cell and per commune, in order (``settled`` is the amount spent).
KEYS = ("allocated", "reserved", "committed", "disbursed", "settled", "returned", "carried", "free")


class Command(BaseCommand):
    help = (
        "Print a plan's header, area, envelope (level × source) and commune sub-envelopes: "
        "allocated, reserved, committed, disbursed, settled, returned, carried over, free; "
        "--json for machines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", help="plan number, e.g. 117/KH-UBND (default: newest)")
        parser.add_argument("--json", action="store_true", help="amounts as integers in đồng")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["plan"]:
            plan = Plan.objects.filter(number=options["plan"]).first()
        else:
            plan = plan_get_default()
        if plan is None:
            raise CommandError(_("No plan is loaded. Run “manage.py load_plan” first."))
        communes = list(plan_communes(plan))
        cells = [c.as_dict() for c in cell_balances(plan)]
        data = {
            "plan": {
                "number": plan.number,
                "title": plan.title,
                "issued_on": plan.issued_on.isoformat(),
                "issuer": plan.issuer.name,
                "signatory": plan.signatory_name,
                "signatory_title": plan.signatory_title,
                "period_start": plan.period_start.isoformat(),
                "period_end": plan.period_end.isoformat(),
                "total_amount": plan.total_amount,
            },
            "area": {
                "communes": [
                    {"code": c.commune.code, "name": c.commune.name, "villages": c.village_count}
                    for c in communes
                ],
                "commune_count": len(communes),
                "village_count": sum(c.village_count for c in communes),
            },
            "envelope": {
                "cells": cells,
                "total": {key: sum(c[key] for c in cells) for key in KEYS},
            },
            # Per commune and source; "allocated" is the commune's sub-envelope, and it and
            # "free" are null where the commune-level cell has not been split for it yet.
            "communes": [c.as_dict() for c in commune_balances(plan)],
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self._print_table(plan, data)

    def _print_table(self, plan: Plan, data: dict[str, Any]) -> None:
        out = self.stdout.write
        out(f"{plan.number} · {date_format(plan.issued_on)} · {plan.issuer.name}")
        out(plan.title)
        out(f"{plan.signatory_title}: {plan.signatory_name}")
        out(
            _("Period: %(start)s – %(end)s")
            % {"start": date_format(plan.period_start), "end": date_format(plan.period_end)}
        )
        out("")
        area = data["area"]
        out(
            _("Area: %(c)s communes, %(v)s villages")
            % {"c": area["commune_count"], "v": area["village_count"]}
        )
        for c in area["communes"]:
            out(f"  {c['name']:<20} {c['villages']:>3}")
        out("")
        figures = [
            _("Allocated"),
            _("Reserved"),
            _("Committed"),
            _("Disbursed"),
            _("Settled"),
            _("Returned"),
            _("Carried over"),
            _("Free"),
        ]
        rows = [
            [
                plan.level_label(c["level"]),
                str(Source(c["source"]).label),
                *(format_vnd(c[k]) for k in KEYS),
            ]
            for c in data["envelope"]["cells"]
        ]
        rows.append([_("Total"), "", *(format_vnd(data["envelope"]["total"][k]) for k in KEYS)])
        self._print_rows([_("Level"), _("Source"), *figures], rows, total=True)
        out("")
        out(_("Commune level, per commune (sub-envelope; “—” where none is set yet)"))
        rows = [
            [c["name"], str(Source(c["source"]).label), *(format_vnd(c[k]) for k in KEYS)]
            for c in data["communes"]
        ]
        self._print_rows([_("Commune"), _("Source"), *figures], rows, total=False)

    def _print_rows(self, headers: list[str], rows: list[list[str]], *, total: bool) -> None:
        widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
        for n, row in enumerate([headers, *rows]):
            cells = [
                str(v).ljust(widths[i]) if i < 2 else str(v).rjust(widths[i])
                for i, v in enumerate(row)
            ]
            self.stdout.write("  ".join(cells))
            if n == 0 or (total and n == len(rows) - 1):
                self.stdout.write("  ".join("-" * w for w in widths))
