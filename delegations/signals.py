"""Every delegation saved or deleted renews the grants' version: what is kept beside the
grants under it (whether a user is anyone's delegate: ``selectors.delegations_offered_for``)
is read again."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from organization.permissions import grants_changed

from .models import Delegation


def _renew(**_: Any) -> None:
    grants_changed()


def connect() -> None:
    post_save.connect(_renew, sender=Delegation, dispatch_uid="delegations-save")
    post_delete.connect(_renew, sender=Delegation, dispatch_uid="delegations-delete")
