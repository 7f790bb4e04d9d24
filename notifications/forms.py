from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import EventKind


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of my e-mails"), choices=settings.LANGUAGES)
    email = forms.MultipleChoiceField(
        label=_("Send me an e-mail for"),
        choices=[(k, label) for k, label in EventKind.choices if k != EventKind.CREATED],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Notifications in the application are always on."),
    )
