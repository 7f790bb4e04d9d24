"""A user's own delegations: list, create, revoke. The services hold every rule."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import request_user
from core.errors import DomainError

from . import selectors, services
from .forms import DelegationForm
from .models import Delegation


def delegation_list(request: HttpRequest) -> HttpResponse:
    form = DelegationForm(request.POST or None, user=request_user(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.delegation_create(
                delegator=request_user(request),
                delegate=data["delegate"],
                membership=data["membership"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
                actor=request_user(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The delegation was recorded."))
            return redirect("delegation_list")
    context = {
        "form": form,
        "today": timezone.localdate(),
        **selectors.delegations_for_user(request_user(request)),
    }
    status = 400 if form.errors else 200
    return render(request, "delegations/list.html", context, status=status)


@require_POST
def delegation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    delegation = get_object_or_404(Delegation, pk=pk, delegator_id=request_user(request).pk)
    try:
        services.delegation_revoke(delegation=delegation, actor=request_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The delegation was revoked."))
    return redirect("delegation_list")
