"""The admin: ledger rows are read-only; norms are saved through the norm services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.test import Client

from core.text import field_limit
from estimates.models import Norm
from ledger.models import Entry
from ledger.norms import norm_create
from tests.texts import composed, decomposed


def norm_post(**kw: Any) -> dict[str, Any]:
    return {
        "code": "meals",
        "item": "Tiền ăn",
        "unit": "người/ngày",
        "max_unit_price": "50000",
        "max_quantity": "",
        "max_times": "",
        "valid_from": "2024-01-01",
        "valid_to": "",
        "citation": "NQ HĐND tỉnh",
    } | kw


def test_ledger_entries_cannot_be_added_changed_or_deleted(admin_client: Client) -> None:
    assert admin_client.get("/admin/ledger/entry/").status_code == 200
    assert admin_client.get("/admin/ledger/entry/add/").status_code == 403
    assert admin_client.post("/admin/ledger/entry/add/", {}).status_code == 403
    assert not Entry.objects.exists()


def test_admin_refuses_an_overlapping_norm(admin_client: Client) -> None:
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message, in English
    norm_create(
        code="meals",
        item="Tiền ăn",
        unit="người/ngày",
        max_unit_price=50_000,
        valid_from=dt.date(2023, 1, 1),
        citation="NQ HĐND tỉnh",
    )
    page = admin_client.post("/admin/estimates/norm/add/", norm_post())
    assert page.status_code == 200
    assert "cannot overlap" in page.content.decode()
    assert Norm.objects.count() == 1


def test_admin_adds_a_norm_through_the_service(admin_client: Client) -> None:
    page = admin_client.post("/admin/estimates/norm/add/", norm_post())
    assert page.status_code == 302
    assert Norm.objects.get().max_unit_price == 50_000


def test_admin_counts_a_norm_text_after_nfc(admin_client: Client) -> None:
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    limit = field_limit(Norm, "item")
    page = admin_client.post("/admin/estimates/norm/add/", norm_post(item=decomposed(limit + 1)))
    assert page.status_code == 200
    assert f"At most {limit} characters" in page.content.decode()
    assert not Norm.objects.exists()
    page = admin_client.post("/admin/estimates/norm/add/", norm_post(item=decomposed(limit)))
    assert page.status_code == 302
    assert Norm.objects.get().item == composed(limit)
