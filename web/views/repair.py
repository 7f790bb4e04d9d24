"""The administrator's repair of a stuck task of an estimate's flow
(``approvals.services.repair``): the task, what the estimate waits on, the repairs that
fit, and the reason. The second factor is asked again first, as before approving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from approvals.services.repair import REPAIRS, flow_task_repair, task_state
from core.errors import RuleViolation
from core.forms import CleanTextField
from web.forms import COMMENT_LIMIT
from web.views.account import recent_second_factor


class RepairForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Repair"), widget=forms.RadioSelect)
    reason = CleanTextField(
        label=gettext_lazy("Reason for the repair"),
        max_length=COMMENT_LIMIT,
        multiline=True,
        widget=forms.Textarea({"rows": 3}),
    )

    def __init__(self, *args: Any, repairs: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["action"]
        field.choices = [(name, REPAIRS[name]) for name in repairs]


@require_http_methods(["GET", "POST"])
@recent_second_factor
def task_repair(request: HttpRequest, task_id: int) -> HttpResponse:
    state = task_state(request.user, task_id)
    form = RepairForm(request.POST if request.method == "POST" else None, repairs=state.repairs)
    if request.method == "POST" and form.is_valid():
        try:
            result = flow_task_repair(
                actor=request.user,
                task_id=task_id,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The task was repaired and the repair recorded."))
            return HttpResponseRedirect(reverse("task_repair", args=[result.pk]))
    tasks = state.task.process.task_set.order_by("created", "pk")
    return render(
        request,
        "workflows/repair.html",
        {"state": state, "form": form, "tasks": tasks},
        status=400 if request.method == "POST" else 200,
    )
