"""Fixtures shared by every test. Factories live in tests/factories.py.

Read-only reference data is built once per session, not per test: right after the
migrations, ``django_db_setup`` loads plan 117/KH-UBND (its units, envelope and catalogue)
from the data file that ships with the product, and the demo users of
``organization.demo`` (one per role) with their memberships and permission grants. Each
test then runs inside a transaction that is rolled back, so it sees that data exactly as
loaded, whatever it changes.

Tests that need real commits (``transaction=True``: races with threads, the Celery worker)
are flushed afterwards by pytest-django, which wipes the reference data too; pytest-django
runs them after all the others, and the ``plan`` fixture loads the data again when it
finds it missing (:func:`reference_data_ensure`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client as DjangoClient
from django.utils import translation

from approvals.services.decisions import decision_issuers_load
from beneficiaries.loader import priority_groups_load
from estimates.models import Plan
from estimates.plan_loader import plan_load_file
from organization.demo import demo_users_create
from organization.models import Unit
from progress.setup import reporting_load

#: The number of the plan in settings.DEFAULT_PLAN_FILE, known once it is loaded.
_plan_number: str | None = None


def reference_data_load() -> Plan:
    """Load the plan file and the demo users (idempotent: both loaders are). In English,
    as code called by a test speaks (``english_outside_requests``): the loader names the
    agencies and villages it makes up through gettext."""
    global _plan_number
    with translation.override("en"):
        plan = plan_load_file(settings.DEFAULT_PLAN_FILE).plan
        demo_users_create()  # memberships and access_sync() included
        decision_issuers_load()
        reporting_load()
        priority_groups_load()  # the plan's priority groups: reports count by them
    _plan_number = plan.number
    return plan


def reference_data_ensure() -> Plan:
    """The loaded plan; loads the reference data again if a flush removed it (one query
    when it is there)."""
    plan = Plan.objects.filter(number=_plan_number).first() if _plan_number else None
    return plan if plan is not None else reference_data_load()


def reference_data_clear() -> None:
    """Remove the reference data (and whatever refers to it) in the current transaction:
    rolled back with the test, as everything else it does."""
    tables = [m._meta.db_table for m in (get_user_model(), Group, Unit, Plan)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test database, migrated, with the reference data committed once. The test
    database lets its owner truncate the append-only tables (``p8.allow_truncate``, see
    ``approvals.0005_audit_truncate_and_head``): pytest-django flushes it with TRUNCATE
    after each transactional test."""
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET p8.allow_truncate = 'on'")
            cursor.execute("SET p8.allow_truncate = 'on'")
        reference_data_load()


@pytest.fixture(autouse=True)
def grants_kept_per_test() -> None:
    """The grants kept between requests (in the cache) start empty in each test: a test's
    database changes are rolled back at its end, the cache's entries would not be."""
    from django.core.cache import cache

    from organization import permissions

    cache.delete(permissions.GRANTS_VERSION_KEY)
    permissions._cache_down_until = 0.0  # a test that broke the cache does not last


@pytest.fixture(autouse=True)
def english_outside_requests() -> Iterator[None]:
    """Code called directly by a test speaks English, so assertions on messages are stable.
    Pages still answer in Vietnamese by default: LocaleMiddleware picks the language per
    request (tests/test_site.py and tests/approvals/test_messages.py hold that)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def second_factor_passed_on_force_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test client's ``force_login`` (and ``login``) signs in as if the second factor
    had just been passed, as a user of an approving role does in the browser; the tests of
    the second factor itself (tests/accounts) sign in through the login page instead."""
    from accounts.second_factor import VERIFIED_AT

    original = DjangoClient._login

    def _login(self: DjangoClient, user: Any, backend: Any = None) -> None:
        original(self, user, backend)
        session = self.session
        session[VERIFIED_AT] = time.time()
        session.save()

    monkeypatch.setattr(DjangoClient, "_login", _login)


@pytest.fixture
def plan(db: None) -> Plan:
    """Plan 117/KH-UBND loaded from the data file that ships with the product."""
    return reference_data_ensure()


@pytest.fixture
def empty_db(db: None) -> None:
    """A database with no plan, no unit and no user, as before anything was loaded: for
    the tests of the loaders themselves."""
    reference_data_clear()


@pytest.fixture
def users(plan: Plan) -> dict[str, Any]:
    """The demo people (one per role, and the superuser ``admin``) by username, with their
    memberships and object permissions in place."""
    return {u.username: u for u in get_user_model().objects.all()}
