"""Who holds what is read once and kept between requests (``organization.permissions``):
a page of a district role no longer reads its thousands of grants each time, and a change
of who holds what is seen on the very next page, whoever makes it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import remove_perm

from estimates.models import Plan
from organization import permissions
from organization import permissions as perms
from organization.models import Membership, Unit
from organization.permissions import _grants, _grants_keep, _grants_kept, access_sync
from tests.factories import estimate_in_status

pytestmark = pytest.mark.django_db


def _detail(client: Client, estimate: Any) -> Any:
    return client.get(reverse("estimates:detail", args=[estimate.pk]))


def test_a_page_reads_the_grants_once_then_keeps_them(
    plan: Plan, client: Client, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["hoi.huyen"])
    read = []
    original = permissions._grants_read
    monkeypatch.setattr(
        permissions, "_grants_read", lambda user: read.append(user.pk) or original(user)
    )
    with CaptureQueriesContext(connection) as first:
        assert _detail(client, estimate).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert _detail(client, estimate).status_code == 200
    assert read == [users["hoi.huyen"].pk]
    # The grants, and whether the user is anyone's delegate, read once.
    assert len(second.captured_queries) == len(first.captured_queries) - 2
    # Another person's grants are their own.
    client.force_login(users["hoi.namxe"])
    assert _detail(client, estimate).status_code == 404


def test_a_membership_ended_is_seen_on_the_next_page(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["hoi.huyen"])
    assert _detail(client, estimate).status_code == 200
    assert _detail(client, estimate).status_code == 200  # from the kept grants
    Membership.objects.filter(user=users["hoi.huyen"]).update(is_active=False)
    access_sync()
    assert _detail(client, estimate).status_code == 404
    page = client.get(reverse("estimates:list")).content.decode()
    assert estimate.number not in page


def test_a_grant_removed_by_hand_is_seen_on_the_next_page(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    """The admin's way (guardian's object permissions edited one by one): the signals
    retire what was kept."""
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["hoi.huyen"])
    assert _detail(client, estimate).status_code == 200
    commune = Unit.objects.get(pk=estimate.unit_id)
    for group in users["hoi.huyen"].groups.all():
        remove_perm(perms.VIEW, group, commune)
    assert _detail(client, estimate).status_code == 404


def test_grants_read_while_they_change_are_not_kept_for_later(users: dict[str, Any]) -> None:
    """A request that read the version before a change and the grants before its commit
    keeps them under that version: the change's new version leaves them unused."""
    officer = users["hoi.huyen"]
    version, kept = _grants_kept(officer.pk)
    assert version is not None and kept is None
    stale = _grants(get_user_model().objects.get(pk=officer.pk))
    Membership.objects.filter(user=officer).update(is_active=False)
    access_sync()
    _grants_keep(officer.pk, version, stale)
    assert perms.unit_ids_with(get_user_model().objects.get(pk=officer.pk), perms.VIEW) == set()


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens there: every read and write of the cache fails.
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
)
def test_with_the_cache_down_the_grants_are_read_from_the_database(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    officer = get_user_model().objects.get(username="hoi.huyen")
    assert estimate.unit_id in perms.unit_ids_with(officer, perms.VIEW)
    Membership.objects.filter(user=officer).update(is_active=False)
    access_sync()  # the new version cannot be written: nothing was kept either
    again = get_user_model().objects.get(pk=officer.pk)
    assert perms.unit_ids_with(again, perms.VIEW) == set()


def test_after_the_cache_failed_pages_do_not_wait_on_it_each_time(
    plan: Plan, client: Client, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    calls = []

    def down(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "get_many", down)
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["hoi.huyen"])
    for _ in range(3):
        assert _detail(client, estimate).status_code == 200
    assert len(calls) == 1


def test_a_change_of_many_grants_renews_the_version_once_now_and_once_at_commit(
    users: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """``access_sync`` deleting a role's grants one row at a time (each a signal) renews
    the version twice, not twice a row."""
    from django.core.cache import cache
    from guardian.models import GroupObjectPermission

    renewed = []

    class Counting:
        """The cache, counting the renewals of the grants' version."""

        def __getattr__(self, name: str) -> Any:
            return getattr(cache, name)

        def set(self, key: str, *args: Any, **kwargs: Any) -> Any:
            if key == permissions.GRANTS_VERSION_KEY:
                renewed.append(key)
            return cache.set(key, *args, **kwargs)

    monkeypatch.setattr(permissions, "cache", Counting())
    before = GroupObjectPermission.objects.count()
    Membership.objects.filter(user=users["hoi.huyen"]).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        access_sync()
    assert before - GroupObjectPermission.objects.count() > 2  # many rows, many signals
    assert len(renewed) == 2
    officer = get_user_model().objects.get(username="hoi.huyen")
    assert perms.unit_ids_with(officer, perms.VIEW) == set()
