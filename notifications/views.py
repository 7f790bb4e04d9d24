"""Thin views: the bell's list, opening a notification, preferences, overdue work."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import request_user
from core.pagination import BoundedPaginator

from . import selectors, services
from .forms import PreferencesForm

#: The rows of a printed list (as ``web.views.lists.PRINT_ROWS``: all of them).
PRINT_ROWS = 1_000_000
#: Late estimates per page of the overdue list.
OVERDUE_PAGE = 50


def notification_list(request: HttpRequest) -> HttpResponse:
    # The printable version (``?print=1``) lists every notification on one page.
    size = PRINT_ROWS if request.GET.get("print") else 30
    page = Paginator(selectors.notifications_for(request_user(request)), size).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"page": page})


def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where it points."""
    notification = services.notification_open(user=request_user(request), notification_id=pk)
    target = notification.url or reverse("notification_list")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notification_list")
    return HttpResponseRedirect(target)


@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request_user(request))
    return redirect("notification_list")


def notification_preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.preferences_update(
                user=request_user(request),
                language=form.cleaned_data["language"],
                email_enabled=form.cleaned_data["email"],
            )
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("notification_preferences")
    else:
        language, enabled = services.preferences_for(request_user(request))
        form = PreferencesForm(initial={"language": language, "email": sorted(enabled)})
    return render(request, "notifications/preferences.html", {"form": form})


def overdue_list(request: HttpRequest) -> HttpResponse:
    """What is late where the user acts: a tab per stage with its count, the chosen stage's
    late estimates a page at a time, most late first. A count stops at 1,000 ("1000+"; its
    first 20 pages are offered, the printed list holds every late estimate)."""
    work = selectors.overdue_work(request_user(request))
    stages = work.stages()
    chosen = next((s for s in stages if s.status == request.GET.get("stage")), None)
    if chosen is None:  # no stage asked for (or one the user does not act in)
        chosen = next((s for s in stages if s.count), stages[0] if stages else None)
    page = None
    if chosen is not None:
        if request.GET.get("print"):  # every late estimate of the stage, counted exactly
            paginator = Paginator(work.estimates(chosen.status), PRINT_ROWS)
        else:
            paginator = BoundedPaginator(work.estimates(chosen.status), OVERDUE_PAGE)
            paginator.count = chosen.count  # counted with the tabs ("1000+"): not again
        page = paginator.get_page(request.GET.get("page"))
    context = {
        "stages": stages,
        "chosen": chosen,
        "page": page,
        "items": work.items(page.object_list) if page is not None else [],
    }
    return render(request, "notifications/overdue.html", context)
