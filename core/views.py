from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from estimates.selectors import plan_communes, plan_contents, plan_envelope, plan_get_default


def home(request: HttpRequest) -> HttpResponse:
    """The plan at a glance: header, envelope, area and catalogue."""
    plan = plan_get_default()
    context: dict[str, object] = {"plan": plan}
    if plan is not None:
        cells = plan_envelope(plan)
        context.update(
            cells=cells,
            total_allocated=sum(c.allocated for c in cells),
            total_committed=sum(c.committed for c in cells),
            total_free=sum(c.free for c in cells),
            communes=plan_communes(plan),
            contents=plan_contents(plan),
        )
    return render(request, "core/home.html", context)
