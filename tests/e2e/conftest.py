"""One headless Chromium per test session (Debian's ``chromium`` driven by Playwright with
its ``executable_path``: Playwright's own browser download is not available), the session
cookie of a signed-in user for it, a checker for English left on Vietnamese pages, and
where screenshots go."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright import sync_api

#: Debian's chromium (`.ci/run` installs it): a machine without it fails here, loudly,
#: rather than skipping the browser tests.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}

#: Common English words of the interface that a Vietnamese page must not show.
ENGLISH = (
    "Submit",
    "Resubmit",
    "Estimate",
    "Estimates",
    "Approve",
    "Approved",
    "Cancel",
    "Save",
    "Return",
    "Returned",
    "Status",
    "Draft",
    "Inbox",
    "Log in",
    "Log out",
    "Logout",
    "Username",
    "Password",
    "Amount",
    "Total",
    "Requested",
    "Appraise",
    "Appraisal",
    "Forward",
    "Reason",
    "Comment",
    "Line",
    "Lines",
    "Edit",
    "Delete",
    "Add",
    "Search",
    "Next",
    "Previous",
    "Back",
    "Continue",
    "Confirm",
    "Unit",
    "Source",
    "Decision",
    "Settlement",
    "Envelope",
    "Waiting",
    "Notifications",
    "Home",
    "Plan",
    "Report",
    "Reports",
    "Export",
    "Filter",
    "Yes",
    "No",
    "None",
    "Required",
    "This field",
    "Welcome",
    "Menu",
    "Language",
    "Dashboard",
    "Queue",
    "Archive",
    "Deadline",
    "Overdue",
    "Date",
    "Title",
    "Purpose",
    "Activity",
    "Content",
    "Villages",
    "Participants",
    "Version",
    "Choose",
    "Select",
    "Close",
    "Open",
    "Print",
    "Download",
    "Upload",
    "Attachments",
)
#: English that may stand on a Vietnamese page: language names, codes, proper names.
ALLOWED = ("English", "PDF", "XLSX", "Excel", "API", "ID", "OTP", "TOTP")
_ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")


def untranslated(text: str) -> list[str]:
    """The English interface words in ``text`` (a page's visible text), allowed ones left out."""
    for word in ALLOWED:
        text = text.replace(word, " ")
    return sorted(set(_ENGLISH_RE.findall(text)))


def assert_vietnamese(page: sync_api.Page) -> None:
    """The page's visible text holds no English interface word."""
    found = untranslated(page.inner_text("body"))
    assert not found, f"{page.url}: untranslated {found}"


def signed_in_page(
    chromium: sync_api.Browser,
    live_server: Any,
    username: str,
    path: str,
    viewport: dict[str, int] = PHONE,
) -> sync_api.Page:
    """``path`` as ``username`` sees it, in Vietnamese, on a phone unless ``viewport``
    says otherwise (close its context when done)."""
    context = chromium.new_context(viewport=viewport, locale="vi-VN")
    context.add_cookies([session_cookie(live_server, username)])
    page = context.new_page()
    page.goto(live_server.url + path)
    return page


def session_cookie(live_server: Any, username: str) -> dict[str, Any]:
    """The session cookie of ``username`` signed in (second factor passed, see
    tests/conftest.py), for a browser context."""
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.fixture(scope="session")
def chromium() -> Iterator[sync_api.Browser]:
    """The one browser of the test session (each test opens its own contexts).

    Playwright's synchronous API keeps an asyncio loop in this thread while the browser is
    open, which Django takes for an async context; the tests' own database calls (set-up,
    checks) are synchronous all the same, so Django is told to allow them meanwhile."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            yield browser
            browser.close()
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the screenshots go: ``$PYTEST_ARTIFACTS/screenshots`` if set, else
    tests/e2e/screenshots (ignored by git)."""
    base = os.environ.get("PYTEST_ARTIFACTS")
    folder = Path(base) / "screenshots" if base else Path(__file__).parent / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
