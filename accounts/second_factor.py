"""The second factor (django-otp): who must have one, whether this session has passed it
and how long ago, checking a code, setting up an authenticator and recovery codes.

A session has passed the second factor when it holds ``VERIFIED_AT`` (the time of the
last code accepted, as a POSIX timestamp). Approving, disbursing and verifying a
settlement ask again when that is older than ``OTP_REAUTH_SECONDS``.

A six-digit code is checked against the user's authenticator (TOTP: each code is accepted
once, django-otp keeps the last time step used; failures are throttled); anything else
against their recovery codes (each single-use)."""

from __future__ import annotations

import time
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.lifecycle import TRANSITIONS
from core.models import SecurityEvent
from core.security import security_event_record
from organization.permissions import unit_ids_with

#: Session key: when the second factor was last passed (seconds since the epoch).
VERIFIED_AT = "second_factor_verified_at"
#: Session key: the recovery codes just made, shown once and then removed.
NEW_CODES = "second_factor_new_codes"
#: The transitions whose holders must use a second factor (and are asked again before).
GUARDED_ACTIONS = ("appraise", "approve", "disburse", "verify-settlement")
GUARDED_PERMISSIONS = frozenset(t.permission for t in TRANSITIONS if t.name in GUARDED_ACTIONS)
RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"


def second_factor_required(user: Any) -> bool:
    """Whether ``user`` must sign in with a second factor: administrators (staff,
    superusers) and whoever holds, on any unit, the permission of appraising, approving,
    disbursing or verifying a settlement. Nobody when ``OTP_REQUIRED`` is off (the
    embedded demo only)."""
    if not settings.OTP_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(unit_ids_with(user, codename) for codename in GUARDED_PERMISSIONS)


def authenticator_of(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def has_second_factor(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verified_at(request: HttpRequest) -> float | None:
    value = request.session.get(VERIFIED_AT)
    return float(value) if isinstance(value, int | float) else None


def session_verified(request: HttpRequest) -> bool:
    return verified_at(request) is not None


def verification_fresh(request: HttpRequest) -> bool:
    """Whether the second factor was passed less than ``OTP_REAUTH_SECONDS`` ago."""
    at = verified_at(request)
    return at is not None and time.time() - at <= settings.OTP_REAUTH_SECONDS


def mark_verified(request: HttpRequest, device: Any = None) -> None:
    """Record in the session that the second factor was passed now (with django-otp's
    own record of the device, when there is one)."""
    if device is not None:
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.session[VERIFIED_AT] = time.time()


def code_check(user: Any, code: str, *, request: HttpRequest | None = None) -> Any:
    """The device that accepts ``code`` (a TOTP code or a recovery code), or None. A
    refusal is recorded as a security event."""
    code = "".join(code.split()).lower()
    device: Any = None
    if code:
        with transaction.atomic():
            if code.isdigit() and len(code) == 6:
                device = (
                    TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
                )
            else:
                device = (
                    StaticDevice.objects.select_for_update()
                    .filter(user=user, confirmed=True)
                    .first()
                )
            if device is not None and not device.verify_token(code):
                device = None
    if device is None:
        security_event_record(
            SecurityEvent.Kind.OTP_FAILED,
            request=request,
            user=user,
            message="second factor code refused",
        )
    return device


def authenticator_pending(user: Any) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed by a code), made if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def authenticator_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, an SVG document."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


@transaction.atomic
def authenticator_confirm(
    user: Any, code: str, *, request: HttpRequest | None = None
) -> list[str] | None:
    """Confirm the pending authenticator with a code from it: it replaces any earlier
    authenticator, and ten new recovery codes replace the earlier ones. Returns the codes
    (shown once), or None when the code is wrong."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    code = "".join(code.split())
    if device is None or not device.verify_token(code):
        security_event_record(
            SecurityEvent.Kind.OTP_FAILED,
            request=request,
            user=user,
            message="authenticator set-up code refused",
        )
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
    if request is not None:
        mark_verified(request, device)
    security_event_record(
        SecurityEvent.Kind.OTP_SET_UP, request=request, user=user, message="authenticator set up"
    )
    return codes


@transaction.atomic
def second_factor_reset(user: Any, *, request: HttpRequest | None = None, by: Any = None) -> int:
    """Remove the user's authenticator and recovery codes (by themselves or by an
    administrator ``by``); one who must have a second factor sets it up again at their
    next request. Returns the number of devices removed."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    who = by.get_username() if by is not None else user.get_username()
    security_event_record(
        SecurityEvent.Kind.OTP_RESET,
        request=request,
        user=user,
        message=f"second factor reset by {who}",
    )
    return removed
