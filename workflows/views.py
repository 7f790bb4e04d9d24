"""Thin task views: viewflow's task pages send the user to the estimate, where the action
buttons post to views that call ``approvals.services``."""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View


class TaskRedirectView(View):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        activation = getattr(request, "activation", None)
        estimate_id = activation.process.artifact_object_id if activation else None
        if estimate_id is None:
            return HttpResponseRedirect(reverse("estimates:inbox"))
        return HttpResponseRedirect(reverse("estimates:detail", args=[estimate_id]))
