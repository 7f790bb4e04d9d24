"""The site: Vietnamese by default, English on request, a login for every page but login."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from estimates.models import Plan


def test_tests_run_on_postgresql(db: None) -> None:
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("url", ["/", "/organization/", "/admin/"])
def test_anonymous_user_is_sent_to_log_in(client: Client, db: None, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) or "login" in response["Location"]


def test_login_page_answers_in_vietnamese_by_default(client: Client, db: None) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="vi"' in page
    assert "Đăng nhập" in page
    assert "css/app.css" in page, "the site's own login page, not a library's"


def test_error_pages_are_the_sites_own(client: Client, users: dict[str, object]) -> None:
    client.force_login(users["hoi.silolau"])  # type: ignore[arg-type]
    page = client.get("/estimates/999999999/").content.decode()
    assert "css/app.css" in page and "viewflow" not in page.lower()


def test_english_is_available(client: Client, db: None) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in page
    assert "Log in" in page


def test_home_shows_plan_and_envelope_in_vietnamese_format(
    plan: Plan, client: Client, django_user_model
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_user("viewer", password="x"))
    page = client.get("/").content.decode()
    assert "117/KH-UBND" in page
    assert "01/04/2024" in page
    assert "7.588.630.000 ₫" in page
    assert "Nậm Xe" in page


def test_settings_are_vietnamese_first() -> None:
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
