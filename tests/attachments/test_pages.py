"""The "Attachments" section of the estimate page, the upload form, the download."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEntry
from attachments.models import Attachment
from estimates.models import Estimate

from .conftest import ELF, PDF

pytestmark = pytest.mark.django_db


def logged_in(client: Client, user: Any) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def post_file(client: Client, estimate: Estimate, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(
        reverse("estimates:attachments", args=[estimate.pk]),
        {"kind": "participant_list", "file": SimpleUploadedFile(name, content), **extra},
    )


def test_the_drafter_attaches_a_file_and_sees_it_listed(
    client: Client, draft: Estimate, users: dict[str, Any]
) -> None:
    logged_in(client, users["hoi.silolau"])
    page = client.get(reverse("estimates:detail", args=[draft.pk]))
    assert b'id="attachments"' in page.content and b"No document attached yet." in page.content
    assert b'enctype="multipart/form-data"' in page.content
    response = post_file(client, draft, "Danh sách thôn Sì Lở Lầu.pdf", PDF)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/estimates/{draft.pk}/#attachments")
    page = client.get(reverse("estimates:detail", args=[draft.pk])).content.decode()
    assert "Danh sách thôn Sì Lở Lầu.pdf" in page
    assert "List of participants" in page
    assert "document attached" in page  # the history


def test_a_refused_file_shows_the_form_again_with_the_message(
    client: Client, draft: Estimate, users: dict[str, Any]
) -> None:
    logged_in(client, users["hoi.silolau"])
    response = post_file(client, draft, "hoa-don.pdf", ELF)
    assert response.status_code == 400
    assert "its content says otherwise" in response.content.decode()
    assert not Attachment.objects.filter(estimate=draft).exists()
    assert not AuditEntry.objects.filter(action="attachment.added").exists()


def test_the_web_keeps_only_the_base_name_of_a_posted_path(
    client: Client, draft: Estimate, users: dict[str, Any]
) -> None:
    """A browser sends the file's own name; a posted path is cut to its base name by
    Django's upload parser before the service sees it (the service refuses a path)."""
    logged_in(client, users["hoi.silolau"])
    assert post_file(client, draft, "..\\..\\windows\\hoa-don.pdf", PDF).status_code == 302
    assert Attachment.objects.get(estimate=draft).original_name == "hoa-don.pdf"


def test_those_who_may_not_attach_see_no_form_and_are_refused(
    client: Client, draft: Estimate, nam_xe_draft: Estimate, users: dict[str, Any]
) -> None:
    logged_in(client, users["hoi.huyen"])  # sees the draft, may not attach
    page = client.get(reverse("estimates:detail", args=[draft.pk]))
    assert b'id="attachments"' in page.content and b"multipart/form-data" not in page.content
    assert post_file(client, draft, "a.pdf", PDF).status_code == 403
    logged_in(client, users["hoi.namxe"])  # another commune's estimate
    assert post_file(client, draft, "a.pdf", PDF).status_code == 404
    assert not Attachment.objects.exists()


def test_the_download_carries_the_original_name_and_type_for_those_who_see_the_estimate(
    client: Client, draft: Estimate, users: dict[str, Any]
) -> None:
    logged_in(client, users["hoi.silolau"])
    post_file(client, draft, "Danh sách Sì Lở Lầu.pdf", PDF)
    a = Attachment.objects.get(estimate=draft)
    url = reverse("estimates:attachment_download", args=[draft.pk, a.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('Danh sách Sì Lở Lầu.pdf')}" in disposition
    logged_in(client, users["hoi.huyen"])  # the district sees the commune's estimate
    assert client.get(url).status_code == 200
    logged_in(client, users["hoi.namxe"])
    assert client.get(url).status_code == 404
    other = reverse("estimates:attachment_download", args=[draft.pk + 1, a.pk])
    logged_in(client, users["hoi.silolau"])
    assert client.get(other).status_code == 404


def test_removed_from_a_draft_but_not_after_it_is_submitted(
    client: Client, draft: Estimate, users: dict[str, Any]
) -> None:
    logged_in(client, users["hoi.silolau"])
    post_file(client, draft, "a.pdf", PDF)
    post_file(client, draft, "b.pdf", PDF)
    first, second = Attachment.objects.filter(estimate=draft).order_by("pk")
    page = client.get(reverse("estimates:detail", args=[draft.pk])).content.decode()
    assert reverse("estimates:attachment_delete", args=[draft.pk, first.pk]) in page
    response = client.post(reverse("estimates:attachment_delete", args=[draft.pk, first.pk]))
    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=first.pk).exists()
    client.post(reverse("estimates:submit", args=[draft.pk]), {"seen_status": "draft"})
    page = client.get(reverse("estimates:detail", args=[draft.pk])).content.decode()
    assert reverse("estimates:attachment_delete", args=[draft.pk, second.pk]) not in page
    response = client.post(
        reverse("estimates:attachment_delete", args=[draft.pk, second.pk]), follow=True
    )
    assert "kept once the estimate has been submitted" in response.content.decode()
    assert Attachment.objects.filter(pk=second.pk).exists()


def test_a_new_version_replaces_the_old_one_in_the_list(
    client: Client, approved: Estimate, users: dict[str, Any]
) -> None:
    logged_in(client, users["hoi.silolau"])
    post_file(client, approved, "hd.pdf", PDF)
    old = Attachment.objects.get(estimate=approved)
    response = post_file(client, approved, "hd-2.pdf", PDF, replaces=old.pk)
    assert response.status_code == 302
    new = Attachment.objects.get(replaces=old)
    assert new.version == 2
    page = client.get(reverse("estimates:attachments", args=[approved.pk])).content.decode()
    assert "replaced by a newer version" in page and "version 2" in page


def test_the_accountant_attaches_the_voucher_of_a_disbursement(
    client: Client, approved: Estimate, disbursed: Any, users: dict[str, Any]
) -> None:
    logged_in(client, users["ketoan"])
    page = client.get(reverse("estimates:detail", args=[approved.pk])).content.decode()
    assert "Treasury voucher" in page and "KB-1" in page
    response = client.post(
        reverse("estimates:attachments", args=[approved.pk]),
        {"kind": "treasury_voucher", "file": SimpleUploadedFile("UNC.pdf", PDF)},
    )
    assert response.status_code == 400
    assert "Choose the disbursement this voucher is for." in response.content.decode()
    response = client.post(
        reverse("estimates:attachments", args=[approved.pk]),
        {
            "kind": "treasury_voucher",
            "disbursement": disbursed.pk,
            "file": SimpleUploadedFile("UNC.pdf", PDF),
        },
    )
    assert response.status_code == 302
    assert Attachment.objects.get(estimate=approved).disbursement_id == disbursed.pk
