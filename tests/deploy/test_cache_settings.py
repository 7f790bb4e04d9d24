"""The production cache: a Redis shared by the web processes when ``CACHE_URL`` names one,
in a namespace of the site's own (named after its database, or ``CACHE_KEY_PREFIX``):
what one site keeps there (each user's grants, under user ids that another site's
database gives to other people) is never read by another site sharing the Redis."""

from __future__ import annotations

import pytest

from tests.deploy.conftest import production_settings


def test_a_shared_redis_is_read_in_the_site_s_own_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("CACHE_KEY_PREFIX", "p8-phong-tho")
    cache = production_settings(monkeypatch)["CACHES"]["default"]
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert cache["KEY_PREFIX"] == "p8-phong-tho"
    assert cache["BACKEND"].endswith("RedisCache")


def test_by_default_the_keys_are_named_after_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two sites sharing a Redis, each with its own database, are kept apart without a
    setting (staging and production on one Redis, say)."""
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.delenv("CACHE_KEY_PREFIX", raising=False)
    prefixes = set()
    for database in ("p8_staging", "p8"):
        url = f"postgres://app@db.internal:5432/{database}"
        prefixes.add(production_settings(monkeypatch, url)["CACHES"]["default"]["KEY_PREFIX"])
    assert prefixes == {"db.internal:5432/p8_staging", "db.internal:5432/p8"}
