"""Attaching evidence to an estimate, replacing it with a new version, removing it from a
draft. Each is one transaction that locks the estimate's row, checks the actor through the
access gate's grants, writes the row and the audit entry; no status changes.

Who may attach what, and when (``RULES``; the permission is held on the estimate's unit
through a role, as everywhere):

- the commune's officers (``draft``): invoices, lists of participants and other documents,
  while the estimate is theirs to draft (draft, returned) and while they gather and report
  the settlement's evidence (approved, settlement);
- the accountant (``disburse``): the treasury voucher of one of the estimate's
  disbursements, while it is approved or its settlement awaits verification;
- the appraiser or the approver (``appraise``, ``approve``): the signed decision scanned
  back, once the estimate is approved (and later, to keep the record whole).

A replacement is a new row pointing to the one it replaces (its kind and disbursement
follow), with the next version number; the old row and its file stay. Nothing is ever
deleted once the estimate has left draft; in a draft the person who attached a file may
remove it. Attaching is not an act at a stage of the approval chain: the audit entry
carries no stage, so it never bears on segregation of duties.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import lifecycle
from approvals.access import unit_ids_with
from approvals.audit import audit_record
from core.errors import Forbidden, RuleViolation
from core.text import field_limit
from core.transactions import unit_of_work
from estimates.models import Estimate
from estimates.models import EstimateStatus as S
from ledger.models import Disbursement
from organization import permissions as perms

from .files import SNIFF_BYTES, file_digest, file_name_clean, file_size_check, file_type_check
from .models import Attachment, AttachmentKind


@dataclass(frozen=True)
class Rule:
    permissions: tuple[str, ...]  #: any one of them, on the estimate's unit
    statuses: frozenset[str]  #: the estimate's statuses in which it may be attached


#: The statuses come from the lifecycle table: the spending unit attaches while it drafts,
#: while it may report the settlement and while that awaits verification; the accountant
#: while money may be paid and the settlement is open; the signed decision once there is
#: money (approved, in settlement, closed).
_SETTLEMENT_OPEN = lifecycle.sources_of("verify-settlement")
_SPENDING_UNIT = Rule(
    (perms.DRAFT,),
    lifecycle.EDITABLE_STATUSES | lifecycle.sources_of("settle") | _SETTLEMENT_OPEN,
)

RULES: dict[str, Rule] = {
    AttachmentKind.TREASURY_VOUCHER: Rule(
        (perms.DISBURSE,), lifecycle.sources_of("disburse") | _SETTLEMENT_OPEN
    ),
    AttachmentKind.INVOICE: _SPENDING_UNIT,
    AttachmentKind.PARTICIPANT_LIST: _SPENDING_UNIT,
    AttachmentKind.OTHER: _SPENDING_UNIT,
    AttachmentKind.SIGNED_DECISION: Rule((perms.APPROVE, perms.APPRAISE), lifecycle.MONEY_STATUSES),
}

#: Kinds that belong to the settlement once the estimate has one.
SETTLEMENT_EVIDENCE = frozenset(
    {AttachmentKind.INVOICE, AttachmentKind.PARTICIPANT_LIST, AttachmentKind.OTHER}
)


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def attachment_kinds_allowed(user: Any, estimate: Estimate) -> list[str]:
    """The kinds ``user`` may attach to the estimate now (the service's own rule; no query
    once the user's grants are read)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return [
        kind
        for kind, rule in RULES.items()
        if estimate.status in rule.statuses
        and any(estimate.unit_id in unit_ids_with(user, p) for p in rule.permissions)
    ]


def attachment_deletable(user: Any, attachment: Attachment, estimate: Estimate) -> bool:
    """Whether ``user`` may remove the attachment: a draft's, attached by them, current."""
    return (
        estimate.status == S.DRAFT
        and attachment.uploaded_by_id == getattr(user, "pk", None)
        and estimate.unit_id in unit_ids_with(user, perms.DRAFT)
    )


def _lock_visible(actor: Any, estimate_id: int) -> Estimate:
    """Lock the estimate if ``actor`` may see it; else 404 (another commune's estimate is
    the same as none), and it is not locked."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise Forbidden(_("Log in to do this."))
    try:
        pk = int(estimate_id)
    except (TypeError, ValueError):
        raise Http404(_("No such estimate.")) from None
    estimate = (
        Estimate.objects.select_for_update(of=("self",))
        .select_related("settlement")
        .filter(pk=pk, unit_id__any=unit_ids_with(actor, perms.VIEW))
        .first()
    )
    if estimate is None:
        raise Http404(_("No such estimate."))
    return estimate


def _capacity(actor: Any, estimate: Estimate, kind: str) -> tuple[str, str]:
    """The (role, agency name) in which ``actor`` attaches a ``kind``; Forbidden without
    the permission, RuleViolation when the estimate's status does not allow it now."""
    rule = RULES[kind]
    granted = next(
        (
            g
            for p in rule.permissions
            if (g := perms.role_granting(actor, p, estimate.unit_id)) is not None
        ),
        None,
    )
    if granted is None:
        raise Forbidden(
            _("Your role does not allow attaching a “%(kind)s” to this estimate.")
            % {"kind": AttachmentKind(kind).label},
            estimate_id=estimate.pk,
        )
    if estimate.status not in rule.statuses:
        raise RuleViolation(
            _("A “%(kind)s” cannot be attached while the estimate is “%(status)s”.")
            % {"kind": AttachmentKind(kind).label, "status": estimate.get_status_display()},
            field="kind",
        )
    role, _code, agency = granted
    return role, agency


def attachment_add(
    *,
    actor: Any,
    estimate_id: int,
    file: File,
    kind: str = "",
    disbursement_id: int | None = None,
    replaces_id: int | None = None,
) -> Attachment:
    """Attach ``file`` (its ``name`` as the person chose it, its ``size`` as announced) to
    the estimate. Checked in this order, nothing written on any refusal: the estimate is
    visible to the actor (404), their role allows this kind (403) in the estimate's status,
    the disbursement (a voucher) is the estimate's, the name is clean, the size within
    ``ATTACHMENT_MAX_BYTES`` (from the announced size, before anything is read), the content
    is an accepted type and the name's extension agrees with it. The file is stored under
    a generated name through Django's storage; if the transaction then fails, the stored
    file is removed again."""
    stored: str | None = None
    try:
        with unit_of_work():
            estimate = _lock_visible(actor, estimate_id)
            replaces = None
            if replaces_id is not None:
                replaces = (
                    Attachment.objects.filter(pk=replaces_id, estimate=estimate)
                    .select_related("replaced_by")
                    .first()
                )
                if replaces is None:
                    raise RuleViolation(_("No such attachment on this estimate."), field="replaces")
                if not replaces.is_current:
                    raise RuleViolation(
                        _("This attachment was already replaced: replace its newest version."),
                        field="replaces",
                    )
                kind, disbursement_id = replaces.kind, replaces.disbursement_id
            if kind not in RULES:
                raise RuleViolation(_("Choose what the document is."), field="kind")
            role, agency = _capacity(actor, estimate, kind)
            disbursement = None
            if kind == AttachmentKind.TREASURY_VOUCHER:
                if disbursement_id is not None:
                    disbursement = Disbursement.objects.filter(
                        pk=disbursement_id, estimate=estimate
                    ).first()
                if disbursement is None:
                    raise RuleViolation(
                        _("Choose the disbursement this voucher is for."), field="disbursement"
                    )
            settlement = None
            if kind in SETTLEMENT_EVIDENCE:
                settlement = getattr(estimate, "settlement", None)
            name = file_name_clean(file.name, max_length=field_limit(Attachment, "original_name"))
            limit = max_bytes()
            file_size_check(file.size, limit=limit)
            file.seek(0)
            found = file_type_check(file.read(SNIFF_BYTES), name)
            sha256, size = file_digest(file, limit=limit)
            attachment = Attachment(
                estimate=estimate,
                disbursement=disbursement,
                settlement=settlement,
                kind=kind,
                original_name=name,
                media_type=found.media_type,
                size=size,
                sha256=sha256,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
                version=replaces.version + 1 if replaces is not None else 1,
                replaces=replaces,
            )
            attachment.file.save(f"{uuid4().hex}.{found.extension}", file, save=False)
            stored = attachment.file.name
            attachment.save(force_insert=True)
            audit_record(
                action="attachment.added",
                actor=actor,
                estimate=estimate,
                role=role,
                unit_name=agency,
                from_status=estimate.status,
                to_status=estimate.status,
                comment=name,
                data=attachment.as_audit(),
            )
    except BaseException:
        if stored is not None:
            Attachment._meta.get_field("file").storage.delete(stored)
        raise
    return attachment


def attachment_delete(*, actor: Any, attachment_id: int) -> None:
    """Remove an attachment from a draft: only the person who attached it, only while the
    estimate is a draft, only its newest version. Its file leaves the storage after the
    commit. Once the estimate has left draft nothing is removed: attach a new version."""
    found = Attachment.objects.filter(pk=attachment_id).values_list("estimate_id", flat=True)
    estimate_id = found.first()
    if estimate_id is None:
        raise Http404(_("No such attachment."))
    with unit_of_work():
        estimate = _lock_visible(actor, estimate_id)
        attachment = (
            Attachment.objects.select_for_update()
            .filter(pk=attachment_id, estimate=estimate)
            .first()
        )
        if attachment is None:
            raise Http404(_("No such attachment."))
        if estimate.status != S.DRAFT:
            raise RuleViolation(
                _(
                    "Attachments are kept once the estimate has been submitted: attach a new "
                    "version instead."
                ),
                field="attachment",
            )
        if not attachment_deletable(actor, attachment, estimate):
            raise Forbidden(
                _("Only the person who attached a document may remove it."),
                estimate_id=estimate.pk,
            )
        if Attachment.objects.filter(replaces=attachment).exists():
            raise RuleViolation(
                _("Remove the newer version of this document first."), field="attachment"
            )
        granted = perms.role_granting(actor, perms.DRAFT, estimate.unit_id)
        role, _code, agency = granted or ("", "", "")
        data = attachment.as_audit()
        stored = attachment.file.name
        storage = attachment.file.storage
        attachment.delete()
        audit_record(
            action="attachment.deleted",
            actor=actor,
            estimate=estimate,
            role=role,
            unit_name=agency,
            from_status=estimate.status,
            to_status=estimate.status,
            comment=data["name"],
            data=data,
        )
        transaction.on_commit(lambda: storage.delete(stored))
