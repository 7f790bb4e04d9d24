"""The attachments in the API: list, upload (multipart), download, removal; the same
access rules as the pages; in the OpenAPI schema with their media types."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from approvals.models import AuditEntry
from attachments.models import Attachment
from estimates.models import Estimate
from tests.factories import api_key

from .conftest import PDF, PE, PNG

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def upload(client: APIClient, estimate: Estimate, name: str, content: bytes, **data: Any) -> Any:
    return client.post(
        f"/api/v1/estimates/{estimate.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content), "kind": "invoice", **data},
        format="multipart",
    )


def test_upload_list_and_download(draft: Estimate, users: dict[str, Any]) -> None:
    officer = api(users["hoi.silolau"])
    response = upload(officer, draft, "Hóa đơn số 12.pdf", PDF)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Hóa đơn số 12.pdf"
    assert body["media_type"] == "application/pdf" and body["size"] == len(PDF)
    assert body["kind"] == "invoice" and body["version"] == 1 and body["current"] is True
    assert body["download"].endswith(f"/api/v1/attachments/{body['id']}/download/")
    listed = officer.get(f"/api/v1/estimates/{draft.pk}/attachments/").json()
    assert [a["id"] for a in listed] == [body["id"]]
    download = officer.get(body["download"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert f"filename*=utf-8''{quote('Hóa đơn số 12.pdf')}" in download["Content-Disposition"]
    assert AuditEntry.objects.filter(estimate=draft, action="attachment.added").count() == 1


def test_bad_files_are_refused_with_a_message_and_nothing_written(
    draft: Estimate, users: dict[str, Any]
) -> None:
    officer = api(users["hoi.silolau"])
    response = upload(officer, draft, "hoa-don.pdf", PE)
    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert "its content says otherwise" in response.json()["detail"]
    response = upload(officer, draft, "anh.pdf", PNG)
    assert (
        response.status_code == 400
        and "ends in .pdf but the file is a PNG" in response.json()["detail"]
    )
    response = upload(officer, draft, "a.pdf", PDF, kind="signed_decision")
    assert response.status_code == 403
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.filter(action="attachment.added").exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_an_oversized_upload_is_refused_from_its_length(
    draft: Estimate, users: dict[str, Any]
) -> None:
    officer = api(users["hoi.silolau"])
    response = upload(officer, draft, "lon.pdf", PDF + b"0" * 200_000)
    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert "at most 1 KB may be attached" in response.json()["detail"]
    response = upload(officer, draft, "vua.pdf", PDF + b"0" * 2000)  # within the envelope
    assert response.status_code == 400 and "at most 1 KB" in response.json()["detail"]
    assert not Attachment.objects.exists()


def test_another_commune_gets_404_everywhere(draft: Estimate, users: dict[str, Any]) -> None:
    upload(api(users["hoi.silolau"]), draft, "a.pdf", PDF)
    a = Attachment.objects.get()
    other = api(users["hoi.namxe"])
    assert upload(other, draft, "b.pdf", PDF).status_code == 404
    assert other.get(f"/api/v1/estimates/{draft.pk}/attachments/").status_code == 404
    assert other.get(f"/api/v1/attachments/{a.pk}/").status_code == 404
    assert other.get(f"/api/v1/attachments/{a.pk}/download/").status_code == 404
    assert other.delete(f"/api/v1/attachments/{a.pk}/").status_code == 404
    assert other.get("/api/v1/attachments/abc/download/").status_code == 404
    assert Attachment.objects.count() == 1


def test_removed_from_a_draft_only(draft: Estimate, users: dict[str, Any]) -> None:
    from approvals import services

    officer = api(users["hoi.silolau"])
    first = upload(officer, draft, "a.pdf", PDF).json()
    assert officer.delete(f"/api/v1/attachments/{first['id']}/").status_code == 204
    kept = upload(officer, draft, "b.pdf", PDF).json()
    services.estimate_submit(actor=users["hoi.silolau"], estimate_id=draft.pk)
    response = officer.delete(f"/api/v1/attachments/{kept['id']}/")
    assert response.status_code == 400
    assert "kept once the estimate has been submitted" in response.json()["detail"]
    new = upload(officer, draft, "b2.pdf", PDF, replaces=kept["id"])
    assert new.status_code == 400  # in review, the commune attaches nothing
    assert Attachment.objects.filter(pk=kept["id"]).exists()


def test_the_schema_names_the_operations_and_their_media_types(client: Any) -> None:
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    paths = schema["paths"]
    upload_op = paths["/api/v1/estimates/{id}/attachments/"]["post"]
    assert list(upload_op["requestBody"]["content"]) == ["multipart/form-data"]
    assert "get" in paths["/api/v1/estimates/{id}/attachments/"]
    download = paths["/api/v1/attachments/{id}/download/"]["get"]["responses"]["200"]["content"]
    assert {"application/pdf", "image/jpeg", "image/png"} <= set(download)
    assert "application/vnd.openxmlformats-officedocument.wordprocessingml.document" in download
    assert "delete" in paths["/api/v1/attachments/{id}/"]
