"""Attaching evidence through the service: who, when, which files; nothing written on a
refusal; the audit entry when accepted; never removed after draft."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext, override_settings

from approvals.audit import audit_verify
from approvals.models import AuditEntry
from attachments.files import size_label
from attachments.models import Attachment
from attachments.services import attachment_add, attachment_delete, attachment_kinds_allowed
from core.errors import Forbidden, RuleViolation
from estimates.models import Estimate
from tests.approvals.test_query_counts import _fresh

from .conftest import DOCX, ELF, JPEG, ODT, PDF, PE, PNG, upload, xlsx

pytestmark = pytest.mark.django_db


def stored_files() -> set[str]:
    """Every file in the (in-memory) storage under attachments/."""
    found: set[str] = set()

    def walk(path: str) -> None:
        dirs, files = default_storage.listdir(path)
        found.update(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    if default_storage.exists("attachments"):
        walk("attachments")
    return found


def nothing_written(estimate: Estimate, files_before: set[str], audit_before: int) -> None:
    assert not Attachment.objects.filter(estimate=estimate).exists()
    assert stored_files() == files_before
    assert AuditEntry.objects.count() == audit_before


def test_a_pdf_is_attached_stored_under_a_generated_name_and_audited(
    draft: Estimate, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    a = attachment_add(
        actor=officer,
        estimate_id=draft.pk,
        kind="participant_list",
        file=upload("Danh sách thôn Sì Lở Lầu.pdf", PDF),
    )
    assert a.original_name == "Danh sách thôn Sì Lở Lầu.pdf"
    assert a.media_type == "application/pdf"
    assert a.size == len(PDF)
    assert a.sha256 == hashlib.sha256(PDF).hexdigest()
    assert a.version == 1 and a.replaces is None
    assert a.file.name.startswith(f"attachments/{draft.pk}/")
    assert a.file.name.endswith(".pdf") and "Sì" not in a.file.name
    with default_storage.open(a.file.name, "rb") as f:
        assert f.read() == PDF
    entry = AuditEntry.objects.get(estimate=draft, action="attachment.added")
    assert entry.actor_id == officer.pk
    assert entry.stage == ""  # attaching is no act at a stage: segregation is untouched
    assert entry.from_status == entry.to_status == "draft"
    assert entry.data["sha256"] == a.sha256 and entry.data["name"] == a.original_name
    assert audit_verify() is None
    assert Estimate.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("anh.PNG", PNG, "image/png"),
        ("anh.jpeg", JPEG, "image/jpeg"),
        (
            "hoa don.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("bang.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("van ban.odt", ODT, "application/vnd.oasis.opendocument.text"),
    ],
)
def test_images_and_office_documents_are_accepted(
    draft: Estimate, users: dict[str, Any], name: str, content: bytes, media_type: str
) -> None:
    a = attachment_add(
        actor=users["hoi.silolau"], estimate_id=draft.pk, kind="other", file=upload(name, content)
    )
    assert a.media_type == media_type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("hoa-don.pdf", ELF, "its content says otherwise"),
        ("hoa-don.pdf", PE, "its content says otherwise"),
        ("ghi-chu.pdf", b"just some text, not a PDF", "its content says otherwise"),
        ("hoa-don.png", PDF, "ends in .png but the file is a PDF"),
        ("hoa-don", PDF, "has no extension"),
        ("../../etc/hoa-don.pdf", PDF, "holds a folder"),
        ("C:\\Users\\x\\hoa-don.pdf", PDF, "holds a folder"),
        ("hoa\x00don.pdf", PDF, "control character"),
        ("hoa-don\u202efdp.exe", PDF, "invisible character"),
        ("rong.pdf", b"", "The file is empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    draft: Estimate, users: dict[str, Any], name: str, content: bytes, message: str
) -> None:
    before, audit = stored_files(), AuditEntry.objects.count()
    with pytest.raises(RuleViolation) as caught:
        attachment_add(
            actor=users["hoi.silolau"],
            estimate_id=draft.pk,
            kind="invoice",
            file=upload(name, content),
        )
    assert message in caught.value.message
    assert caught.value.field == "file"
    nothing_written(draft, before, audit)


@override_settings(ATTACHMENT_MAX_BYTES=1000)
def test_an_oversized_file_is_refused_from_its_announced_size_before_it_is_read(
    draft: Estimate, users: dict[str, Any]
) -> None:
    before, audit = stored_files(), AuditEntry.objects.count()

    class Unread(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the file was read")

    big = File(Unread(PDF + b"0" * 2000), name="lon.pdf")
    with pytest.raises(RuleViolation) as caught:
        attachment_add(actor=users["hoi.silolau"], estimate_id=draft.pk, kind="invoice", file=big)
    assert "at most 1000 B may be attached" in caught.value.message
    assert "The file is 2 KB" in caught.value.message
    nothing_written(draft, before, audit)


@override_settings(ATTACHMENT_MAX_BYTES=1000)
def test_a_file_larger_than_it_announced_is_refused(draft: Estimate, users: dict[str, Any]) -> None:
    before, audit = stored_files(), AuditEntry.objects.count()
    liar = upload("lon.pdf", PDF + b"0" * 2000)
    liar.size = 100
    with pytest.raises(RuleViolation):
        attachment_add(actor=users["hoi.silolau"], estimate_id=draft.pk, kind="invoice", file=liar)
    nothing_written(draft, before, audit)


def test_another_communes_estimate_is_not_found(draft: Estimate, users: dict[str, Any]) -> None:
    before, audit = stored_files(), AuditEntry.objects.count()
    with pytest.raises(Http404):
        attachment_add(
            actor=users["hoi.namxe"],
            estimate_id=draft.pk,
            kind="invoice",
            file=upload("a.pdf", PDF),
        )
    with pytest.raises(Http404):
        attachment_add(
            actor=users["hoi.namxe"], estimate_id=10**9, kind="invoice", file=upload("a.pdf", PDF)
        )
    nothing_written(draft, before, audit)


def test_who_may_attach_what_and_when(
    draft: Estimate, approved: Estimate, disbursed: Any, users: dict[str, Any]
) -> None:
    officer, accountant = users["hoi.silolau"], users["ketoan"]
    approver, reviewer = users["pho.chutich"], users["hoi.huyen"]
    assert attachment_kinds_allowed(officer, draft) == ["invoice", "participant_list", "other"]
    assert attachment_kinds_allowed(accountant, draft) == []
    assert attachment_kinds_allowed(reviewer, draft) == []
    assert "treasury_voucher" in attachment_kinds_allowed(accountant, approved)
    assert attachment_kinds_allowed(approver, approved) == ["signed_decision"]
    # A reviewer sees the estimate but attaches nothing to it.
    with pytest.raises(Forbidden):
        attachment_add(
            actor=reviewer, estimate_id=draft.pk, kind="other", file=upload("a.pdf", PDF)
        )
    # The accountant attaches the voucher of a disbursement of this estimate.
    with pytest.raises(RuleViolation) as caught:
        attachment_add(
            actor=accountant,
            estimate_id=approved.pk,
            kind="treasury_voucher",
            file=upload("a.pdf", PDF),
        )
    assert caught.value.field == "disbursement"
    voucher = attachment_add(
        actor=accountant,
        estimate_id=approved.pk,
        kind="treasury_voucher",
        disbursement_id=disbursed.pk,
        file=upload("Ủy nhiệm chi KB-1.pdf", PDF),
    )
    assert voucher.disbursement_id == disbursed.pk
    # The officer may not attach a voucher; the approver attaches the signed decision.
    with pytest.raises(Forbidden):
        attachment_add(
            actor=officer,
            estimate_id=approved.pk,
            kind="treasury_voucher",
            disbursement_id=disbursed.pk,
            file=upload("a.pdf", PDF),
        )
    signed = attachment_add(
        actor=approver, estimate_id=approved.pk, kind="signed_decision", file=upload("QĐ.pdf", PDF)
    )
    assert signed.kind == "signed_decision"
    # Nobody attaches a signed decision to a draft: the message names the status.
    with pytest.raises(RuleViolation, match="while the estimate is “Draft”"):
        attachment_add(
            actor=approver, estimate_id=draft.pk, kind="signed_decision", file=upload("a.pdf", PDF)
        )


def test_a_signed_decision_is_refused_before_approval(plan: Any, users: dict[str, Any]) -> None:
    from tests.factories import estimate_in_status

    in_approval = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    with pytest.raises(RuleViolation) as caught:
        attachment_add(
            actor=users["pho.chutich"],
            estimate_id=in_approval.pk,
            kind="signed_decision",
            file=upload("QĐ.pdf", PDF),
        )
    assert "cannot be attached while the estimate is" in caught.value.message


def test_a_replacement_is_a_new_version_and_the_old_one_stays(
    approved: Estimate, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    first = attachment_add(
        actor=officer, estimate_id=approved.pk, kind="invoice", file=upload("hd.pdf", PDF)
    )
    second = attachment_add(
        actor=officer,
        estimate_id=approved.pk,
        file=upload("hd-sua.pdf", PDF + b" "),
        replaces_id=first.pk,
    )
    assert (second.version, second.replaces_id, second.kind) == (2, first.pk, "invoice")
    assert default_storage.exists(first.file.name) and default_storage.exists(second.file.name)
    with pytest.raises(RuleViolation) as caught:
        attachment_add(
            actor=officer, estimate_id=approved.pk, file=upload("x.pdf", PDF), replaces_id=first.pk
        )
    assert "already replaced" in caught.value.message


def test_removed_from_a_draft_by_its_uploader_only_and_never_after_draft(
    plan: Any, draft: Estimate, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from approvals import services

    officer = users["hoi.silolau"]
    a = attachment_add(actor=officer, estimate_id=draft.pk, kind="other", file=upload("a.pdf", PDF))
    with pytest.raises(Forbidden):
        attachment_delete(actor=users["hoi.huyen"], attachment_id=a.pk)  # sees it, not hers
    with pytest.raises(Http404):
        attachment_delete(actor=users["hoi.namxe"], attachment_id=a.pk)
    name = a.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(actor=officer, attachment_id=a.pk)
    assert not Attachment.objects.filter(pk=a.pk).exists()
    assert not default_storage.exists(name)
    assert AuditEntry.objects.filter(estimate=draft, action="attachment.deleted").count() == 1

    kept = attachment_add(
        actor=officer, estimate_id=draft.pk, kind="other", file=upload("b.pdf", PDF)
    )
    services.estimate_submit(actor=officer, estimate_id=draft.pk)
    with pytest.raises(RuleViolation) as caught:
        attachment_delete(actor=officer, attachment_id=kept.pk)
    assert "kept once the estimate has been submitted" in caught.value.message
    assert Attachment.objects.filter(pk=kept.pk).exists()
    assert default_storage.exists(kept.file.name)


#: The upload service's queries: the estimate locked (with its settlement), the
#: attachment's insert, the audit chain's head locked and the entry inserted with the
#: head's update, in one transaction (its savepoint under the test's transaction).
PINNED_UPLOAD = 6


def test_the_upload_costs_a_fixed_number_of_queries(draft: Estimate, users: dict[str, Any]) -> None:
    officer = _fresh(users["hoi.silolau"])
    attachment_add(actor=officer, estimate_id=draft.pk, kind="other", file=upload("0.pdf", PDF))
    with CaptureQueriesContext(connection) as ctx:
        attachment_add(actor=officer, estimate_id=draft.pk, kind="other", file=upload("1.pdf", PDF))
    assert len(ctx.captured_queries) == PINNED_UPLOAD, "\n".join(
        q["sql"][:120] for q in ctx.captured_queries
    )


def test_sizes_are_written_for_people() -> None:
    assert [size_label(n) for n in (900, 1536, 10 * 1024 * 1024, 2_500_000)] == [
        "900 B",
        "1,5 KB",
        "10 MB",
        "2,4 MB",
    ]
