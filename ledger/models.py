"""Where money moves: an append-only journal of entries, and balance rows held by database
constraints.

Every movement of money is one :class:`Entry` (allocation, reservation, release,
commitment, lapse, disbursement, spending, return, carry-over). The balance rows
(:class:`CellAccount` per envelope cell, :class:`SubEnvelope` per commune and source,
:class:`EstimateAccount` per estimate and source) are the running sums of those entries,
changed only by ``ledger.services`` under a row lock, and each invariant of the issue is a
``CheckConstraint`` on them (``reserved + committed <= allocated``, ``disbursed <=
approved``, ``spent + returned + carried <= disbursed`` ...). ``ledger.selectors.
ledger_reconcile`` re-derives every balance from the entries and reports any difference.

Amounts are whole đồng in 64-bit integer columns.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import MAX_AMOUNT
from core.text import LONG_TEXT
from estimates.models import EnvelopeCell, Estimate, EstimateLine, Plan, Source
from organization.models import Unit


class EntryKind(models.TextChoices):
    """What an entry does to the balances (every amount is positive except an allocation
    change, which is signed)."""

    ALLOCATION = "allocation", _("Allocation")
    RESERVATION = "reservation", _("Reservation")
    RELEASE = "release", _("Release of a reservation")
    COMMITMENT = "commitment", _("Commitment")
    DECOMMITMENT = "decommitment", _("Commitment lowered by an amendment")
    LAPSE = "lapse", _("Approved but not disbursed, released at settlement")
    DISBURSEMENT = "disbursement", _("Disbursement")
    SPENT = "spent", _("Spent (settled)")
    RETURN = "return", _("Returned to the budget")
    CARRY_OVER = "carry_over", _("Carried over to the next year")


class Entry(models.Model):
    """One movement of money. Append-only: written by ``ledger.services``, never changed."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="ledger_entries")
    cell = models.ForeignKey(
        EnvelopeCell, verbose_name=_("envelope cell"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    commune = models.ForeignKey(
        Unit,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The spending commune, for commune-level money."),
    )
    estimate = models.ForeignKey(
        Estimate,
        verbose_name=_("estimate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = models.BigIntegerField(_("amount (đồng)"))
    document = models.CharField(_("document"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["cell", "kind"]),
            models.Index(fields=["estimate", "source", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="entry_amount_range",
                condition=(
                    (Q(kind=EntryKind.ALLOCATION) & ~Q(amount=0))
                    | (~Q(kind=EntryKind.ALLOCATION) & Q(amount__gt=0))
                )
                & Q(amount__gte=-MAX_AMOUNT)
                & Q(amount__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="entry_estimate_unless_allocation",
                condition=Q(kind=EntryKind.ALLOCATION) | Q(estimate__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.amount}"


class CellAccount(models.Model):
    """The running balance of one envelope cell (level × source).

    ``allocated`` follows the cell's amount (an allocation entry records each change);
    ``free = allocated - reserved - committed`` is never negative.
    """

    cell = models.OneToOneField(
        EnvelopeCell,
        verbose_name=_("envelope cell"),
        on_delete=models.PROTECT,
        related_name="account",
    )
    allocated = models.BigIntegerField(_("allocated"), default=0)
    reserved = models.BigIntegerField(_("reserved"), default=0)
    committed = models.BigIntegerField(_("committed"), default=0)
    disbursed = models.BigIntegerField(_("disbursed"), default=0)
    spent = models.BigIntegerField(_("spent"), default=0)
    returned = models.BigIntegerField(_("returned"), default=0)
    carried = models.BigIntegerField(_("carried over"), default=0)

    class Meta:
        verbose_name = _("envelope cell balance")
        verbose_name_plural = _("envelope cell balances")
        constraints = [
            models.CheckConstraint(
                name="cellaccount_nonnegative",
                condition=Q(allocated__gte=0)
                & Q(allocated__lte=MAX_AMOUNT)
                & Q(reserved__gte=0)
                & Q(committed__gte=0)
                & Q(disbursed__gte=0)
                & Q(spent__gte=0)
                & Q(returned__gte=0)
                & Q(carried__gte=0),
            ),
            models.CheckConstraint(
                name="cellaccount_within_allocation",
                condition=Q(allocated__gte=F("reserved") + F("committed")),
            ),
            models.CheckConstraint(
                name="cellaccount_disbursed_le_committed",
                condition=Q(committed__gte=F("disbursed")),
            ),
            models.CheckConstraint(
                name="cellaccount_settled_le_disbursed",
                condition=Q(disbursed__gte=F("spent") + F("returned") + F("carried")),
            ),
        ]

    def __str__(self) -> str:
        return str(self.cell)

    @property
    def free(self) -> int:
        return self.allocated - self.reserved - self.committed


class SubEnvelope(models.Model):
    """A commune's share of a commune-level cell, for one source, set by the district
    Women's Union and Finance-Planning. The shares of a cell never exceed it."""

    cell = models.ForeignKey(
        EnvelopeCell,
        verbose_name=_("envelope cell"),
        on_delete=models.PROTECT,
        related_name="subenvelopes",
    )
    commune = models.ForeignKey(
        Unit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="subenvelopes"
    )
    amount = models.BigIntegerField(_("allocated (đồng)"))
    reserved = models.BigIntegerField(_("reserved"), default=0)
    committed = models.BigIntegerField(_("committed"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("commune sub-envelope")
        verbose_name_plural = _("commune sub-envelopes")
        ordering = ["cell", "commune__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["cell", "commune"], name="subenvelope_unique"),
            models.CheckConstraint(
                name="subenvelope_range",
                condition=Q(amount__gte=0)
                & Q(amount__lte=MAX_AMOUNT)
                & Q(reserved__gte=0)
                & Q(committed__gte=0),
            ),
            models.CheckConstraint(
                name="subenvelope_within_amount",
                condition=Q(amount__gte=F("reserved") + F("committed")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune} · {self.cell}"

    @property
    def free(self) -> int:
        return self.amount - self.reserved - self.committed


class EstimateAccount(models.Model):
    """Where one estimate's money stands for one source: reserved at appraisal, approved,
    disbursed, and how it was settled. ``disbursed <= approved`` is a database constraint."""

    estimate = models.ForeignKey(
        Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="accounts"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    cell = models.ForeignKey(
        EnvelopeCell, verbose_name=_("envelope cell"), on_delete=models.PROTECT, related_name="+"
    )
    reserved = models.BigIntegerField(_("reserved"), default=0)
    approved = models.BigIntegerField(_("approved"), default=0)
    disbursed = models.BigIntegerField(_("disbursed"), default=0)
    advances_outstanding = models.BigIntegerField(_("advances not yet cleared"), default=0)
    lapsed = models.BigIntegerField(_("approved, not disbursed, released"), default=0)
    spent = models.BigIntegerField(_("spent"), default=0)
    returned = models.BigIntegerField(_("returned"), default=0)
    carried = models.BigIntegerField(_("carried over"), default=0)

    class Meta:
        verbose_name = _("estimate balance")
        verbose_name_plural = _("estimate balances")
        ordering = ["estimate", "source"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "source"], name="estimateaccount_unique"),
            models.CheckConstraint(
                name="estimateaccount_nonnegative",
                condition=Q(reserved__gte=0)
                & Q(approved__gte=0)
                & Q(approved__lte=MAX_AMOUNT)
                & Q(disbursed__gte=0)
                & Q(advances_outstanding__gte=0)
                & Q(lapsed__gte=0)
                & Q(spent__gte=0)
                & Q(returned__gte=0)
                & Q(carried__gte=0),
            ),
            models.CheckConstraint(
                name="estimateaccount_disbursed_le_approved",
                condition=Q(approved__gte=F("disbursed") + F("lapsed")),
            ),
            models.CheckConstraint(
                name="estimateaccount_advances_le_disbursed",
                condition=Q(disbursed__gte=F("advances_outstanding")),
            ),
            models.CheckConstraint(
                name="estimateaccount_settled_le_disbursed",
                condition=Q(disbursed__gte=F("spent") + F("returned") + F("carried")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estimate.number} · {self.get_source_display()}"

    @property
    def committed(self) -> int:
        return self.approved - self.lapsed

    @property
    def remaining(self) -> int:
        """Approved and not yet disbursed."""
        return self.approved - self.lapsed - self.disbursed


class DisbursementKind(models.TextChoices):
    ADVANCE = "advance", _("Advance")
    PAYMENT = "payment", _("Payment")


class DocumentType(models.TextChoices):
    """The State Treasury document a disbursement was made with."""

    WITHDRAWAL_ORDER = "withdrawal_order", _("Budget withdrawal order")
    PAYMENT_ORDER = "payment_order", _("Payment order")
    CASH_VOUCHER = "cash_voucher", _("Cash voucher")
    OTHER = "other", _("Other treasury document")


def advance_clear_by(paid_on: dt.date) -> dt.date:
    """The last day of the month after ``paid_on``: when an advance must be cleared."""
    year, month = (
        (paid_on.year + 1, 1) if paid_on.month == 12 else (paid_on.year, paid_on.month + 1)
    )
    first_of_next = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return first_of_next - dt.timedelta(days=1)


class Disbursement(models.Model):
    """An advance (tạm ứng) or a payment (thanh toán) made on an approved estimate."""

    estimate = models.ForeignKey(
        Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="disbursements"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DisbursementKind.choices)
    source = models.CharField(_("funding source"), max_length=20, choices=Source.choices)
    paid_on = models.DateField(_("date paid"))
    amount = models.BigIntegerField(_("amount (đồng)"))
    document_type = models.CharField(
        _("document type"), max_length=30, choices=DocumentType.choices
    )
    document_number = models.CharField(_("treasury reference"), max_length=80)
    payee = models.CharField(_("payee"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True)
    clear_by = models.DateField(_("to be cleared by"), null=True, blank=True)
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)
    clearance_document = models.CharField(_("clearance document"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["estimate", "paid_on", "pk"]
        indexes = [models.Index(fields=["kind", "cleared_on", "clear_by"])]
        constraints = [
            models.CheckConstraint(
                name="disbursement_amount_range",
                condition=Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="disbursement_document_given",
                condition=~Q(document_number="") & ~Q(payee=""),
            ),
            models.CheckConstraint(
                name="disbursement_advance_has_deadline",
                condition=(Q(kind=DisbursementKind.ADVANCE) & Q(clear_by__isnull=False))
                | (
                    Q(kind=DisbursementKind.PAYMENT)
                    & Q(clear_by__isnull=True)
                    & Q(cleared_on__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_number}"


class SettlementStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting verification")
    RETURNED = "returned", _("Returned for correction")
    VERIFIED = "verified", _("Verified and closed")


class Settlement(models.Model):
    """What an approved estimate actually cost: spent per line, the unspent part returned
    or carried over. ``spent + returned + carried == disbursed`` to the đồng."""

    estimate = models.OneToOneField(
        Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="settlement"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SettlementStatus.choices,
        default=SettlementStatus.PENDING,
    )
    spent = models.BigIntegerField(_("spent"))
    disbursed = models.BigIntegerField(_("disbursed"))
    returned = models.BigIntegerField(_("returned"), default=0)
    return_document = models.CharField(_("return document"), max_length=120, blank=True)
    carried = models.BigIntegerField(_("carried over"), default=0)
    carried_use_by = models.DateField(_("carried-over funds usable until"), null=True, blank=True)
    #: The settlement's date as the unit writes it on its report: never before the last
    #: payment (null only on settlements made before the date was asked for).
    settled_on = models.DateField(_("settlement date"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    reopen_reason = models.TextField(_("reason for return"), blank=True, max_length=LONG_TEXT)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.CheckConstraint(
                name="settlement_balances",
                condition=Q(spent__gte=0)
                & Q(returned__gte=0)
                & Q(carried__gte=0)
                & Q(disbursed=F("spent") + F("returned") + F("carried")),
            ),
            models.CheckConstraint(
                name="settlement_return_documented",
                condition=Q(returned=0) | ~Q(return_document=""),
            ),
            models.CheckConstraint(
                name="settlement_carry_has_use_by",
                condition=Q(carried=0) | Q(carried_use_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estimate.number} · {self.get_status_display()}"


class SettlementLine(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(
        EstimateLine, verbose_name=_("cost line"), on_delete=models.PROTECT, related_name="+"
    )
    spent = models.BigIntegerField(_("spent (đồng)"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("settled line")
        verbose_name_plural = _("settled lines")
        ordering = ["settlement", "line__position"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "line"], name="settlementline_unique"),
            models.CheckConstraint(
                name="settlementline_spent_range",
                condition=Q(spent__gte=0) & Q(spent__lte=MAX_AMOUNT),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} · {self.spent}"


class Tranche(models.Model):
    """Unspent money carried over to the next year, with the date it must be used by."""

    origin = models.ForeignKey(
        Estimate,
        verbose_name=_("carried over from"),
        on_delete=models.PROTECT,
        related_name="tranches",
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="tranches_out")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    level = models.CharField(_("level"), max_length=20)
    commune = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.BigIntegerField(_("amount (đồng)"))
    use_by = models.DateField(_("usable until"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("carried-over tranche")
        verbose_name_plural = _("carried-over tranches")
        ordering = ["year", "pk"]
        constraints = [
            models.CheckConstraint(
                name="tranche_amount_range", condition=Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.amount} · {self.use_by}"


class NormOverride(models.Model):
    """Finance-Planning kept a line above its cost norm at appraisal, with a written reason."""

    line = models.ForeignKey(
        EstimateLine,
        verbose_name=_("cost line"),
        on_delete=models.CASCADE,
        related_name="norm_overrides",
    )
    findings = models.TextField(_("what the norm check found"))
    reason = models.TextField(_("reason"), max_length=LONG_TEXT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("norm override")
        verbose_name_plural = _("norm overrides")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(name="normoverride_reason_given", condition=~Q(reason="")),
        ]

    def __str__(self) -> str:
        return f"{self.line} · {self.reason[:40]}"
