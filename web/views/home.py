"""The plan at a glance and the unit tree."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _

from estimates.selectors import plan_choices, plan_chosen, plan_communes, plan_contents
from ledger.selectors import cell_balances
from organization.selectors import unit_tree as select_unit_tree


def home(request: HttpRequest) -> HttpResponse:
    """The plan at a glance: header, envelope and where its money stands (the ledger),
    area and catalogue."""
    plan = plan_chosen(request.user, request.GET.get("plan"))
    if plan is None and request.GET.get("plan"):
        raise Http404(_("No such plan."))
    context: dict[str, object] = {"plan": plan, "plans": plan_choices()}
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


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: the site's icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


class LoginView(auth_views.LoginView):
    """Django's login page, except that coming from the site's bare address lands the
    user on their work (``LOGIN_REDIRECT_URL``) rather than back on the plan page."""

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return "" if url == "/" else url
