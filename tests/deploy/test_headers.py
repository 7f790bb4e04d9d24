"""Security headers on every answer under the production settings: a normal page, a 404,
a 500, a redirect; HTTPS only; a Content-Security-Policy with no inline script or style,
and no inline script or style left in the site's own templates."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from .conftest import TEST_AUDIT_KEY, TEST_PRODUCTION_KEY

ROOT = Path(__file__).resolve().parents[2]
HTTPS = {"secure": True, "headers": {"x-forwarded-proto": "https"}}


def assert_security_headers(response: Any, *, inline_styles: bool = False) -> None:
    headers = response.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    policy = dict(
        [*part.strip().split(" ", 1), ""][:2]
        for part in headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert ("'unsafe-inline'" in policy["style-src"]) is inline_styles


def test_normal_page(production: dict[str, Any], client: Client, users: dict[str, Any]) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.get("/estimates/", **HTTPS)
    assert response.status_code == 200
    assert_security_headers(response)


def test_login_page_for_anyone(production: dict[str, Any], client: Client, db: None) -> None:
    response = client.get("/accounts/login/", **HTTPS)
    assert response.status_code == 200
    assert_security_headers(response)
    assert "Secure" in str(response.cookies["csrftoken"]) or "csrftoken" not in response.cookies


def test_not_found(production: dict[str, Any], client: Client, users: dict[str, Any]) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.get("/estimates/999999999/", **HTTPS)
    assert response.status_code == 404
    assert_security_headers(response)


@override_settings(ROOT_URLCONF="tests.deploy.urls_boom")
def test_server_error(production: dict[str, Any], db: None) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/test/boom/", **HTTPS)
    assert response.status_code == 500
    assert_security_headers(response)


def test_plain_http_is_redirected_to_https(production: dict[str, Any], client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_health_checks_answer_over_plain_http(
    production: dict[str, Any], client: Client, db: None
) -> None:
    """The container engine's health check calls the app directly, without TLS."""
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/workflow/", "/admin/login/", "/api/v1/docs/"])
def test_library_pages_may_have_inline_styles_not_scripts(
    production: dict[str, Any], client: Client, users: dict[str, Any], path: str
) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.get(path, **HTTPS)
    assert response.status_code in (200, 302)
    assert_security_headers(response, inline_styles=True)


def test_swagger_ui_runs_no_inline_script(
    production: dict[str, Any], client: Client, db: None
) -> None:
    page = client.get("/api/v1/docs/", **HTTPS).content.decode()
    assert re.search(r"<script>\s*\S", page) is None
    assert "<script src=" in page


SITE_TEMPLATES = [
    p
    for app in ("web", "notifications", "delegations", "organization", "estimates", "approvals")
    for p in (ROOT / app / "templates").rglob("*.html")
]


@pytest.mark.parametrize("template", SITE_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_or_style_in_the_sites_templates(template: Path) -> None:
    """The PDF's template (reports/templates) is exempt: WeasyPrint reads it, no browser."""
    text = template.read_text(encoding="utf-8")
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) is None
    assert "<style" not in text
    assert re.search(r"\sstyle\s*=", text) is None
    assert re.search(r"\son[a-z]+\s*=", text) is None
    assert "javascript:" not in text


def test_the_pages_scripts_are_files(production: dict[str, Any]) -> None:
    for name in ("site.js", "estimate-form.js", "settle.js"):
        assert (ROOT / "static" / "js" / name).is_file()


def test_the_deployment_checklist_passes_under_the_production_settings() -> None:
    """``check --deploy --fail-level WARNING`` (also run by ``make check``)."""
    # The browser tests' session fixture allows Django's async-unsafe calls in this
    # process; a deployment never has that switch, so the check runs without it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": TEST_PRODUCTION_KEY,
        "AUDIT_HMAC_KEY": TEST_AUDIT_KEY,
        "DATABASE_URL": "postgres://check@127.0.0.1:5432/check",
        "ALLOWED_HOSTS": "example.org",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
