"""The security log: refused actions, for the auditor."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SecurityEvent(models.Model):
    """One security event: a refused action (who asked, when, what and on which estimate,
    and why it was refused: written by ``core.security.refusal_record`` where the refusal
    becomes the HTTP 403 answer, after the refused transaction has rolled back), or a
    sign-in event (``core.security.security_event_record``: logins, failures, lockouts,
    second-factor changes, API tokens). Never changed.

    It names the user by id and username only (no foreign key: the record outlives a
    renamed or removed account) and holds no request body, query string or address."""

    class Kind(models.TextChoices):
        REFUSED = "refused", _("Action refused")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        OTP_SET_UP = "otp_set_up", _("Second factor set up")
        OTP_RESET = "otp_reset", _("Second factor reset")
        OTP_FAILED = "otp_failed", _("Second factor refused")
        TOKEN_ISSUED = "token_issued", _("API token issued")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        TOKEN_REFUSED = "token_refused", _("Revoked or expired API token used")

    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REFUSED)
    user_id = models.PositiveBigIntegerField(_("user id"), null=True, blank=True)
    username = models.CharField(_("username"), max_length=150, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("address"), max_length=500)
    view = models.CharField(_("page or endpoint"), max_length=200, blank=True)
    estimate_id = models.PositiveBigIntegerField(
        _("estimate id"), null=True, blank=True, db_index=True
    )
    message = models.CharField(_("reason"), max_length=1000)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.path}"
