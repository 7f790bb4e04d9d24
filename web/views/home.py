"""The plan at a glance and the unit tree."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from estimates.selectors import plan_communes, plan_contents, plan_get_default
from ledger.selectors import cell_balances
from organization.selectors import unit_tree as select_unit_tree


def home(request: HttpRequest) -> HttpResponse:
    """The plan at a glance: header, envelope and where its money stands (the ledger),
    area and catalogue."""
    plan = plan_get_default()
    context: dict[str, object] = {"plan": plan}
    if plan is not None:
        cells = cell_balances(plan)
        context.update(
            cells=cells,
            totals={
                key: sum(getattr(c, key) for c in cells)
                for key in ("allocated", "reserved", "committed", "disbursed", "spent", "free")
            },
            communes=plan_communes(plan),
            contents=plan_contents(plan),
        )
    return render(request, "core/home.html", context)


def unit_tree(request: HttpRequest) -> HttpResponse:
    return render(request, "organization/tree.html", {"roots": select_unit_tree()})
