"""A title that reads as another: invisible and direction-changing characters are refused
by the service itself (the API and the pages refuse them too, with the same message),
naming the field, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from django.contrib.auth.models import AbstractUser

from approvals import services
from approvals.models import AuditEntry
from core.errors import RuleViolation
from estimates.models import Estimate, Plan
from organization.models import Unit
from tests.factories import estimate_input

People = dict[str, AbstractUser]
Make = Callable[..., Estimate]

#: Right-to-left override, isolates, zero-width space and joiner, byte-order mark, an
#: Arabic number sign (Cf outside the usual lists), a Hangul filler (blank, not Cf).
HIDDEN = ["\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff", "\u0600", "\u3164"]


@pytest.mark.parametrize("char", HIDDEN)
def test_a_title_with_a_hidden_character_is_refused_by_the_service(
    plan: Plan, people: People, char: str
) -> None:
    unit = Unit.objects.get(code="si-lo-lau")
    data = estimate_input(plan, unit, title=f"Tập huấn {char}pháp luật")
    with pytest.raises(RuleViolation, match="invisible character") as refused:
        services.estimate_create(actor=people["hoi.silolau"], plan=plan, unit=unit, data=data)
    assert refused.value.field == "title"
    assert f"U+{ord(char):04X} at position 10" in refused.value.message
    assert not Estimate.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_edit_cannot_slip_one_in(make_estimate: Make, plan: Plan, people: People) -> None:
    est = make_estimate("draft")
    data = estimate_input(plan, est.unit)
    audited = AuditEntry.objects.count()
    with pytest.raises(RuleViolation) as refused:
        services.estimate_update(
            actor=people["hoi.silolau"],
            estimate_id=est.pk,
            data=replace(data, title="Chi hỗ trợ \u202eđồng 000.005"),
        )
    assert refused.value.field == "title"
    est.refresh_from_db()
    assert "\u202e" not in est.title
    assert AuditEntry.objects.count() == audited


@pytest.mark.parametrize("activity_id", ["abc", None, True, 10**20, -1, "unknown"])
def test_an_activity_not_of_the_catalogue_is_refused_by_the_service(
    plan: Plan, people: People, activity_id: object
) -> None:
    """Whatever a client sends as the activity (a word, nothing, a number of no activity),
    the service names the field in words and writes nothing."""
    unit = Unit.objects.get(code="si-lo-lau")
    data = replace(estimate_input(plan, unit), activity_id=activity_id)
    with pytest.raises(RuleViolation, match="activity of the plan's catalogue") as refused:
        services.estimate_create(actor=people["hoi.silolau"], plan=plan, unit=unit, data=data)
    assert refused.value.field == "activity"
    assert not Estimate.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_activity_is_read_in_its_own_plan_only(plan: Plan) -> None:
    from approvals.services.drafting import _activity_read
    from estimates.models import Activity

    activity = Activity.objects.filter(content__plan=plan).order_by("pk")[0]
    assert _activity_read(plan, activity.pk) == activity
    assert _activity_read(plan, str(activity.pk)) == activity  # as a form posts it
    another = Plan(pk=plan.pk + 1000)  # the same activity id asked of another plan
    assert _activity_read(another, activity.pk) is None
    assert _activity_read(plan, activity.pk) == activity
