from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from core.forms import CleanTextField
from core.text import field_limit
from organization.models import Membership

from .models import Delegation


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.get_role_display()} · {obj.unit}"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class DelegationForm(forms.Form):
    """The delegator picks one of their roles and a colleague; the service checks the rest."""

    membership = MembershipChoiceField(
        label=_("Role to delegate"), queryset=Membership.objects.none()
    )
    delegate = UserChoiceField(label=_("Delegate to"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    ends_on = forms.DateField(label=_("Until (inclusive)"), widget=DateInput())
    reason = CleanTextField(label=_("Reason"), max_length=field_limit(Delegation, "reason"))

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        mine = Membership.objects.active().filter(user_id=user.pk).select_related("unit")
        self.fields["membership"].queryset = mine  # type: ignore[attr-defined]
        self.fields["delegate"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(
                is_active=True,
                memberships__is_active=True,
                memberships__unit__in=mine.values("unit"),
            )
            .exclude(pk=user.pk)
            .distinct()
            .order_by("username")
        )
