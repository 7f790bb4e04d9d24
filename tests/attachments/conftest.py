"""Files to attach, made here: real PDFs, images and office documents, and the hostile
ones (an executable renamed .pdf)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.core.files import File
from openpyxl import Workbook

from approvals import services
from estimates.models import Estimate, Plan
from tests.factories import estimate_in_status

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504E470D0A1A0A0000000D4948445200000001000000010806000000") + b"\0" * 40
JPEG = bytes.fromhex("FFD8FFE000104A46494600010100000100010000") + b"\0" * 40
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\0" * 200


def zipped(entries: list[tuple[str, str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in entries:
            z.writestr(name, text)
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Danh sách người tham dự"
    book.save(out)
    return out.getvalue()


DOCX = zipped(
    [
        ("[Content_Types].xml", "<Types/>"),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", "<w:document/>"),
    ]
)
ODT = zipped([("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<x/>")])


def upload(name: str, content: bytes) -> File:
    """A file as the service receives it, under exactly ``name`` (an upload through the
    site or the API arrives with the base name only: Django's parser drops any folder)."""
    return File(io.BytesIO(content), name=name)


@pytest.fixture
def draft(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("draft", plan=plan, drafter=users["hoi.silolau"])


@pytest.fixture
def approved(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])


@pytest.fixture
def disbursed(approved: Estimate, users: dict[str, Any]) -> Any:
    """The approved estimate's payment, made by the accountant."""
    return services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=approved.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 5),
        amount=100_000,
        source="current",
        document_type="withdrawal_order",
        document_number="KB-1",
        payee="Hội LHPN xã",
    )


@pytest.fixture
def nam_xe_draft(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("draft", plan=plan, drafter=users["hoi.namxe"])
