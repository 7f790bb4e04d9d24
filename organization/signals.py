"""The grants kept between requests (``organization.permissions``) are renewed whenever
what they are read from changes outside ``access_sync``: a role group's permissions or
members (the admin), a group, or a unit (the agency names the grants carry)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from guardian.models import GroupObjectPermission

from .models import Unit
from .permissions import grants_changed


def _renew(**_: Any) -> None:
    grants_changed()


def connect() -> None:
    for model in (GroupObjectPermission, Group, Unit):
        post_save.connect(_renew, sender=model, dispatch_uid=f"grants-save-{model.__name__}")
        post_delete.connect(_renew, sender=model, dispatch_uid=f"grants-delete-{model.__name__}")
    m2m_changed.connect(
        _renew, sender=get_user_model().groups.through, dispatch_uid="grants-members"
    )
