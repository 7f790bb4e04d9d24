from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client


@pytest.fixture(autouse=True)
def english(client: Client) -> None:
    """Pages in English, so assertions on messages hold once the catalogue translates."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
