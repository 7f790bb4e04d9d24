"""Signing in as a browser does: through the login page, from a given address, then the
second factor's pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from organization.demo import DEMO_PASSWORD

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
VERIFY = "/accounts/2fa/verify/"
SETUP = "/accounts/2fa/setup/"
RECOVERY = ["alpha1", "bravo2", "charlie3"]


@pytest.fixture
def browser() -> Client:
    """A client in English (assertions on messages), signed in by nobody yet."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def password_login(
    client: Client,
    username: str,
    password: str = DEMO_PASSWORD,
    *,
    address: str = "10.1.1.1",
    url: str = LOGIN,
) -> Any:
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def code_now(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def enrol(user: Any) -> TOTPDevice:
    """An authenticator set up for ``user``, with the recovery codes ``RECOVERY``."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    for code in RECOVERY:
        StaticToken.objects.create(device=recovery, token=code)
    return device
