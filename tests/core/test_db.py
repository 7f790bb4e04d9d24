"""``core.db.row_save``: a new row is inserted whole, an existing one updates only the
columns named, so a stale copy never writes back what someone else changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from core.db import row_save

pytestmark = pytest.mark.django_db


def test_new_row_is_inserted_whole() -> None:
    user = User(username="moi", first_name="Lò", last_name="Thị Mai")
    row_save(user, fields=["first_name"])
    assert User.objects.filter(username="moi", first_name="Lò", last_name="Thị Mai").exists()


def test_existing_row_updates_only_the_named_columns() -> None:
    user = User.objects.create(username="cu", first_name="A", last_name="B")
    User.objects.filter(pk=user.pk).update(last_name="changed elsewhere")
    user.first_name = "Lò"
    row_save(user, fields=["first_name"])
    assert User.objects.values_list("first_name", "last_name").get(pk=user.pk) == (
        "Lò",
        "changed elsewhere",
    )
