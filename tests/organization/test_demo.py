import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from estimates.models import Plan
from organization.demo import DEMO_USERS, EXAMPLE_DEMO_USERS
from organization.models import Membership, Role


@pytest.fixture
def no_users(plan: Plan) -> None:
    """The plan without a single user: the demo users of the reference data are removed (in
    this test's transaction) so that seeding is seen to create them."""
    get_user_model().objects.all().delete()
    assert not Membership.objects.exists()


def test_one_demo_user_per_role(no_users: None) -> None:
    call_command("seed_demo")
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    # plan 117's users, and the example two-tier plan's loaded beside it
    assert Membership.objects.count() == len(DEMO_USERS) + len(EXAMPLE_DEMO_USERS)
    call_command("seed_demo")  # a second run adds nothing
    assert Membership.objects.count() == len(DEMO_USERS) + len(EXAMPLE_DEMO_USERS)


@override_settings(DEMO_ENABLED=False)
def test_demo_users_are_refused_where_demo_is_off(no_users: None) -> None:
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Membership.objects.exists()
    assert not get_user_model().objects.exists()


def test_production_settings_refuse_demo_users() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "a-production-like-secret",
        "AUDIT_HMAC_KEY": "a-production-like-audit-key",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DEMO_ENABLED" in done.stderr


def test_production_settings_need_the_audit_key() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "a-production-like-secret",
        "AUDIT_HMAC_KEY": "",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0
    assert "AUDIT_HMAC_KEY must be set in production" in done.stderr
