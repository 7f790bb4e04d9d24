"""Vietnamese first: the pages speak Vietnamese unless the user chose otherwise, whatever
the browser says; the choice is kept for the user; the menu names each language in itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from notifications.models import UserPreference


@pytest.fixture
def browser() -> Client:
    """A browser set to English that never chose a language on the site."""
    return Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")


def test_an_english_browser_gets_vietnamese_on_its_first_visit(browser: Client) -> None:
    html = browser.get("/accounts/login/").content.decode()
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html


def test_the_language_menu_names_each_language_in_itself(browser: Client) -> None:
    for chosen in ("vi", "en"):
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = chosen
        html = browser.get("/accounts/login/").content.decode()
        assert ">Tiếng Việt</option>" in html
        assert ">English</option>" in html


def test_a_users_choice_follows_them_to_another_browser(
    browser: Client, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    browser.force_login(officer)
    response = browser.post("/i18n/setlang/", {"language": "en", "next": "/estimates/"})
    assert response.status_code == 302
    assert UserPreference.objects.get(user=officer).language == "en"
    assert '<html lang="en">' in browser.get("/estimates/").content.decode()

    phone = Client(HTTP_ACCEPT_LANGUAGE="vi")  # another device, no cookie
    phone.force_login(officer)
    assert '<html lang="en">' in phone.get("/estimates/").content.decode()

    phone.post("/i18n/setlang/", {"language": "vi", "next": "/estimates/"})
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en")
    fresh.force_login(officer)
    assert '<html lang="vi">' in fresh.get("/estimates/").content.decode()


def test_an_unknown_language_changes_nothing(browser: Client, users: dict[str, Any]) -> None:
    officer = users["hoi.namxe"]
    browser.force_login(officer)
    browser.post("/i18n/setlang/", {"language": "xx", "next": "/estimates/"})
    assert not UserPreference.objects.filter(user=officer).exists()
    assert '<html lang="vi">' in browser.get("/estimates/").content.decode()


def test_the_api_still_answers_in_the_language_asked(
    browser: Client, users: dict[str, Any]
) -> None:
    browser.force_login(users["hoi.silolau"])
    body = browser.get("/api/v1/estimates/999999/").json()
    assert body  # an error body in English, as asked
    assert "Không" not in str(body)


def test_the_site_has_an_icon(browser: Client) -> None:
    response = browser.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
