"""The production settings, for tests that check what they add (headers, redirects)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

#: A secret key that passes ``check --deploy`` (50 characters, many different ones); for
#: tests only.
TEST_PRODUCTION_KEY = "test-only-" + "k7Qx9vLm2Pz4Rt8Wc1Nb6Hy3Jd5Fg0Ks" * 2
TEST_AUDIT_KEY = "test-only-audit-" + "Zr4Tq8Lm1Vx6Kp3N" * 2


def production_settings(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str = "postgres://postgres@127.0.0.1:5432/unused",
) -> dict[str, Any]:
    """The settings module config.settings.production as it loads with a secret key and
    a PostgreSQL URL in the environment (``database_url``: never connected to here)."""
    monkeypatch.setenv("SECRET_KEY", TEST_PRODUCTION_KEY)
    monkeypatch.setenv("AUDIT_HMAC_KEY", TEST_AUDIT_KEY)
    monkeypatch.setenv("DATABASE_URL", database_url)
    sys.modules.pop("config.settings.production", None)
    module = importlib.import_module("config.settings.production")
    sys.modules.pop("config.settings.production", None)
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


#: What production adds to the test settings that a request sees; the database, caches,
#: storages and logging of the tests stay as they are.
PRODUCTION_KEYS = [
    "DEBUG",
    "MIDDLEWARE",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "CSP_INLINE_STYLE_PREFIXES",
    "PERMISSIONS_POLICY",
]


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    values = production_settings(monkeypatch)
    with override_settings(**{key: values[key] for key in PRODUCTION_KEYS}):
        yield values
