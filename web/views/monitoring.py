"""The monitoring notes' pages: the open recommendations and every note, recording a
visit (the roles with the monitoring right), a note with the unit's answer and the
monitor's closing. Thin: the selectors read, the services write and check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.auth import request_user
from core.errors import DomainError, Forbidden
from core.forms import CleanTextField
from core.text import LONG_TEXT, field_limit
from estimates.models import Activity, Plan
from estimates.selectors import plan_get_default
from monitoring import selectors, services
from monitoring.models import MonitoringNote
from monitoring.services import NO_RIGHT, NoteInput
from organization import permissions as perms
from organization.models import Unit
from web.views.lists import list_page

PAGE_SIZE = 50


class NoteForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("Commune or district concerned"))
    estimate = forms.CharField(
        label=gettext_lazy("Estimate (its number's id, optional)"), required=False
    )
    activity = forms.ChoiceField(label=gettext_lazy("Activity (optional)"), required=False)
    visited_on = forms.CharField(label=gettext_lazy("Date of the visit"), required=False)
    visitors = CleanTextField(
        label=gettext_lazy("Who visited"), max_length=field_limit(MonitoringNote, "visitors")
    )
    checked = CleanTextField(
        label=gettext_lazy("What was checked"), max_length=LONG_TEXT, multiline=True
    )
    findings = CleanTextField(label=gettext_lazy("Findings"), max_length=LONG_TEXT, multiline=True)
    recommendations = CleanTextField(
        label=gettext_lazy("Recommendations"), max_length=LONG_TEXT, multiline=True, required=False
    )
    follow_up_due = forms.CharField(label=gettext_lazy("Follow-up due"), required=False)

    def __init__(self, *args: Any, user: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(pk__any=perms.unit_ids_with(user, perms.MONITOR)).order_by(
            "kind", "sort_order", "name"
        )
        unit: Any = self.fields["unit"]
        unit.choices = [(u.pk, u.name) for u in units]
        activity: Any = self.fields["activity"]
        activity.choices = [("", "—")] + [
            (a.pk, f"{a.code} {a.title}")
            for a in Activity.objects.filter(content__plan=plan).order_by(
                "content__sort_order", "sort_order"
            )
        ]
        self.fields["visited_on"].widget.input_type = "date"
        self.fields["follow_up_due"].widget.input_type = "date"


class TextForm(forms.Form):
    text = CleanTextField(label=gettext_lazy("Text"), max_length=LONG_TEXT, multiline=True)


@require_GET
def note_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not perms.unit_ids_with(user, perms.VIEW):
        raise Forbidden(_("Your role does not open the monitoring notes."))
    page = list_page(request, selectors.note_list_for_user(user), PAGE_SIZE)
    context = {
        "open": list(selectors.open_recommendations_for_user(user)),
        "page": page,
        "today": timezone.localdate(),
        "may_record": selectors.may_record(user),
    }
    return render(request, "monitoring/list.html", context)


def note_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not selectors.may_record(user):
        raise Forbidden(str(NO_RIGHT))
    plan = plan_get_default()
    if plan is None:
        raise Forbidden(_("No plan is loaded."))
    form = NoteForm(request.POST or None, user=user, plan=plan)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            note = services.note_record(
                actor=user,
                plan=plan,
                data=NoteInput(
                    unit_id=data["unit"],
                    estimate_id=data["estimate"],
                    activity_id=data["activity"],
                    visited_on=data["visited_on"],
                    visitors=data["visitors"],
                    checked=data["checked"],
                    findings=data["findings"],
                    recommendations=data["recommendations"],
                    follow_up_due=data["follow_up_due"],
                ),
            )
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The monitoring note was recorded; the unit is told."))
            return redirect("monitoring:note_detail", note.pk)
    status = 400 if form.errors else 200
    return render(request, "monitoring/form.html", {"form": form}, status=status)


@require_GET
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    note = selectors.access_note(user, pk)
    context = {
        "note": note,
        "actions": selectors.note_actions_allowed(user, note),
        "form": TextForm(),
        "overdue": selectors.overdue(note, timezone.localdate()),
    }
    return render(request, "monitoring/detail.html", context)


def _act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    user = request_user(request)
    note = selectors.access_note(user, pk)
    form = TextForm(request.POST)
    if form.is_valid():
        try:
            if name == "answer":
                services.note_answer(actor=user, note_id=note.pk, answer=form.cleaned_data["text"])
            else:
                services.note_close(
                    actor=user, note_id=note.pk, closing_note=form.cleaned_data["text"]
                )
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            form.add_error("text", exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("monitoring:note_detail", note.pk)
    context = {
        "note": note,
        "actions": selectors.note_actions_allowed(user, note),
        "form": form,
        "overdue": selectors.overdue(note, timezone.localdate()),
    }
    return render(request, "monitoring/detail.html", context, status=400)


@require_POST
def note_answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "answer")


@require_POST
def note_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "close")
