"""The second factor: required for the roles that appraise, approve, pay, verify
settlements and administer (not for a commune officer); set up with a QR code and ten
recovery codes shown once; asked at login; a TOTP code and a recovery code each accepted
once; asked again before approving, disbursing or verifying a settlement after the window;
turned off by the user, reset by an administrator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import second_factor_required
from core.models import SecurityEvent
from estimates.models import Plan
from tests.factories import estimate_in_status

from .conftest import (
    ADMIN_LOGIN,
    RECOVERY,
    SETUP,
    VERIFY,
    code_now,
    enrol,
    password_login,
    signed_in,
)

pytestmark = pytest.mark.django_db


def events(kind: str, user: Any) -> int:
    return SecurityEvent.objects.filter(kind=kind, user_id=user.pk).count()


@pytest.mark.parametrize(
    ("username", "required"),
    [
        ("tckh", True),  # appraises and verifies settlements
        ("pho.chutich", True),  # approves
        ("ketoan", True),  # disburses
        ("admin", True),  # administers
        ("hoi.silolau", False),
        ("hoi.huyen", False),
        ("ubnd.silolau", False),
        ("quansat", False),
        ("kiemtoan", False),
    ],
)
def test_who_must_have_a_second_factor(users: dict[str, Any], username: str, required: bool):
    assert second_factor_required(users[username]) is required
    with override_settings(OTP_REQUIRED=False):  # the embedded demo only
        assert second_factor_required(users[username]) is False


def test_finance_officer_is_sent_to_set_up_and_can_do_nothing_else(
    browser: Client, users: dict[str, Any]
) -> None:
    assert password_login(browser, "tckh").status_code == 302
    assert signed_in(browser)
    for url in ("/estimates/", "/estimates/inbox/", "/organization/", "/accounts/"):
        answer = browser.get(url)
        assert answer.status_code == 302
        assert answer["Location"].startswith(SETUP), url
    assert browser.get("/api/v1/estimates/").status_code == 403

    page = browser.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="/accounts/2fa/setup/qr.svg"' in html
    assert "<script" not in html.split("<main>")[1]
    qr = browser.get("/accounts/2fa/setup/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<svg")

    device = TOTPDevice.objects.get(user=users["tckh"], confirmed=False)
    wrong = browser.post(SETUP, {"code": "000000" if code_now(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "This code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=users["tckh"], confirmed=True).exists()

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2), tick=False):
        done = browser.post(SETUP, {"code": code_now(device), "next": "/estimates/inbox/"})
        assert done.status_code == 302
        codes_page = browser.get(done["Location"])
        assert codes_page.status_code == 200
        codes = StaticToken.objects.filter(device__user=users["tckh"]).values_list(
            "token", flat=True
        )
        assert len(codes) == 10
        for code in codes:
            assert code in codes_page.content.decode()
        # shown once
        again = browser.get(done["Location"])
        assert again.status_code == 302
        assert codes[0] not in again.content.decode()
        assert browser.get("/estimates/inbox/").status_code == 200
    assert events(SecurityEvent.Kind.OTP_SET_UP, users["tckh"]) == 1
    assert events(SecurityEvent.Kind.OTP_FAILED, users["tckh"]) == 1
    assert events(SecurityEvent.Kind.LOGIN, users["tckh"]) == 1


def test_commune_officer_is_not_asked(browser: Client) -> None:
    password_login(browser, "hoi.silolau")
    assert browser.get("/estimates/").status_code == 200


def test_demo_settings_let_everyone_in_with_a_password(browser: Client) -> None:
    with override_settings(OTP_REQUIRED=False):
        password_login(browser, "pho.chutich")
        assert browser.get("/estimates/").status_code == 200


def test_administrator_is_sent_to_set_up_from_the_admin_login(browser: Client) -> None:
    assert password_login(browser, "admin", url=ADMIN_LOGIN).status_code == 302
    answer = browser.get("/admin/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(SETUP)


def test_code_asked_at_login_and_accepted_once(users: dict[str, Any]) -> None:
    device = enrol(users["pho.chutich"])
    first, second = Client(), Client()
    password_login(first, "pho.chutich")
    password_login(second, "pho.chutich", address="10.1.1.2")
    answer = first.get("/estimates/inbox/")
    assert answer.status_code == 302
    assert answer["Location"] == f"{VERIFY}?next=%2Festimates%2Finbox%2F"
    code = code_now(device)
    ok = first.post(VERIFY, {"code": code, "next": "/estimates/inbox/"})
    assert ok.status_code == 302
    assert ok["Location"] == "/estimates/inbox/"
    assert first.get("/estimates/inbox/").status_code == 200

    # the same code again (a replay, from another browser): refused
    replay = second.post(VERIFY, {"code": code, "next": "/estimates/"})
    assert replay.status_code == 400
    assert second.get("/estimates/").status_code == 302
    assert events(SecurityEvent.Kind.OTP_FAILED, users["pho.chutich"]) == 1

    # a code of a later time step is accepted
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31), tick=False):
        assert second.post(VERIFY, {"code": code_now(device)}).status_code == 302
        assert second.get("/estimates/").status_code == 200


def test_recovery_code_works_once(users: dict[str, Any]) -> None:
    enrol(users["ketoan"])
    first, second = Client(), Client()
    password_login(first, "ketoan")
    password_login(second, "ketoan")
    assert first.post(VERIFY, {"code": RECOVERY[0].upper()}).status_code == 302
    assert first.get("/estimates/").status_code == 200
    assert second.post(VERIFY, {"code": RECOVERY[0]}).status_code == 400
    assert second.get("/estimates/").status_code == 302
    assert StaticToken.objects.filter(device__user=users["ketoan"]).count() == 2


def test_open_redirect_refused(users: dict[str, Any]) -> None:
    enrol(users["ketoan"])
    client = Client()
    password_login(client, "ketoan")
    answer = client.post(VERIFY, {"code": RECOVERY[1], "next": "https://evil.example/"})
    assert answer["Location"] == "/estimates/start/"


def _approval(plan: Plan, users: dict[str, Any]) -> tuple[str, str, str, dict[str, str]]:
    estimate = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    url = reverse("estimates:approve", args=[estimate.pk])
    return "pho.chutich", url, str(estimate.pk), {"confirm": "on", "comment": "Đồng ý"}


def _disbursement(plan: Plan, users: dict[str, Any]) -> tuple[str, str, str, dict[str, str]]:
    estimate = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    url = reverse("estimates:disburse", args=[estimate.pk])
    return "ketoan", url, str(estimate.pk), {}


def _verification(plan: Plan, users: dict[str, Any]) -> tuple[str, str, str, dict[str, str]]:
    estimate = estimate_in_status("settlement", plan=plan, drafter=users["hoi.silolau"])
    url = reverse("estimates:verify_settlement", args=[estimate.pk])
    return "tckh", url, str(estimate.pk), {"confirm": "on"}


def _approval_of_several(plan: Plan, users: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    estimate = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    url = reverse("estimates:approve_many")
    return "pho.chutich", url, str(estimate.pk), {"estimate": [estimate.pk], "confirmed": "1"}


@pytest.mark.parametrize("action", [_approval, _approval_of_several, _disbursement, _verification])
def test_asked_again_before_approving_paying_or_verifying_after_the_window(
    plan: Plan, users: dict[str, Any], action: Any
) -> None:
    from estimates.models import Estimate

    username, url, pk, data = action(plan, users)
    device = enrol(users[username])
    client = Client()
    client.force_login(users[username])  # the second factor passed now
    assert client.get(url).status_code == 200
    before = Estimate.objects.get(pk=pk)
    later = timezone.now() + dt.timedelta(seconds=901)
    with time_machine.travel(later, tick=False):
        posted = client.post(url, data)
        assert posted.status_code == 302
        assert posted["Location"] == f"{VERIFY}?next={url.replace('/', '%2F')}"
        after = Estimate.objects.get(pk=pk)
        assert (after.status, after.version) == (before.status, before.version)
        assert client.get(url)["Location"].startswith(VERIFY)
        back = client.post(VERIFY, {"code": code_now(device), "next": url})
        assert back["Location"] == url
        assert client.get(url).status_code == 200


@override_settings(OTP_REAUTH_SECONDS=60)
def test_the_window_is_a_setting(plan: Plan, users: dict[str, Any]) -> None:
    username, url, _pk, _data = _approval(plan, users)
    client = Client()
    client.force_login(users[username])
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=59), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        # no authenticator yet: sent to set one up
        assert client.get(url)["Location"].startswith(SETUP)


def test_user_turns_the_second_factor_off_and_administrator_resets_it(
    users: dict[str, Any],
) -> None:
    enrol(users["quansat"])
    client = Client()
    client.force_login(users["quansat"])
    assert client.post("/accounts/2fa/disable/").status_code == 302
    assert not TOTPDevice.objects.filter(user=users["quansat"]).exists()
    assert client.get("/estimates/").status_code == 200  # optional for an observer

    enrol(users["tckh"])
    admin = Client()
    admin.force_login(users["admin"])
    done = admin.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor", "_selected_action": [users["tckh"].pk]},
    )
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=users["tckh"]).exists()
    assert events(SecurityEvent.Kind.OTP_RESET, users["tckh"]) == 1
    # at the next sign-in, set up again
    browser = Client()
    password_login(browser, "tckh")
    assert browser.get("/estimates/")["Location"].startswith(SETUP)


def test_anyone_taking_a_guarded_action_needs_a_second_factor(
    plan: Plan, browser: Client, users: dict[str, Any]
) -> None:
    """A user whose own role does not require it (a delegate, say) is sent to set one up
    before approving; in the embedded demo the password is enough."""
    _username, url, _pk, _data = _approval(plan, users)
    password_login(browser, "hoi.silolau")
    assert browser.get("/estimates/").status_code == 200
    assert browser.get(url)["Location"].startswith(SETUP)
    with override_settings(OTP_REQUIRED=False):
        assert not browser.get(url).get("Location", "").startswith(SETUP)


def test_only_the_embedded_default_lets_demo_users_skip_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib
    import sys

    import config.settings.base as base

    monkeypatch.setenv("OTP_REQUIRED", "false")  # even so
    monkeypatch.setenv("SECRET_KEY", "k" * 50)
    monkeypatch.setenv("AUDIT_HMAC_KEY", "a" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://app@127.0.0.1:5432/any")
    for name in ("config.settings.production", "config.settings.local"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert importlib.import_module("config.settings.production").OTP_REQUIRED is True
    monkeypatch.delenv("OTP_REQUIRED")
    assert importlib.import_module("config.settings.local").OTP_REQUIRED is False
    assert base.OTP_REQUIRED is True
