"""Evidence attached to an estimate: a treasury voucher of a disbursement, an invoice, a
list of participants, the signed decision scanned back. Rows are never changed: a
replacement is a new row pointing to the one it replaces, and nothing is deleted once the
estimate has left draft (``attachments.services``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from estimates.models import Estimate


class AttachmentKind(models.TextChoices):
    TREASURY_VOUCHER = "treasury_voucher", _("Treasury voucher")
    INVOICE = "invoice", _("Invoice")
    PARTICIPANT_LIST = "participant_list", _("List of participants")
    SIGNED_DECISION = "signed_decision", _("Signed decision")
    OTHER = "other", _("Other document")


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """Where the file is stored: under its estimate, by the generated name the service
    gives (a random hex name and the extension of the type found in the content), never a
    name typed by a person."""
    return f"attachments/{instance.estimate_id}/{filename}"


class Attachment(models.Model):
    estimate = models.ForeignKey(
        Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="attachments"
    )
    disbursement = models.ForeignKey(
        "ledger.Disbursement",
        verbose_name=_("disbursement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    settlement = models.ForeignKey(
        "ledger.Settlement",
        verbose_name=_("settlement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=AttachmentKind.choices)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("stored file"), upload_to=attachment_upload_to, max_length=200)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    version = models.PositiveIntegerField(_("version"), default=1)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["estimate", "uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="attachment_version_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="treasury_voucher") | models.Q(disbursement__isnull=False),
                name="attachment_voucher_has_disbursement",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_current(self) -> bool:
        """Not replaced by a newer version (reads ``replaced_by``: select it with the row)."""
        try:
            self.replaced_by  # noqa: B018
        except Attachment.DoesNotExist:
            return True
        return False

    def as_audit(self) -> dict[str, Any]:
        return {
            "attachment": self.pk,
            "kind": self.kind,
            "name": self.original_name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "version": self.version,
            "replaces": self.replaces_id,
            "disbursement": self.disbursement_id,
            "settlement": self.settlement_id,
        }
