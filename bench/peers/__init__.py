"""The benchmarks' peers of the product: a bare viewflow flow (``flows.BareFlow``). A
Django app (viewflow names a flow by its app) that only the benchmarks install, for the
time they run (``installed()``); never in the product's settings or migrations. It has no
models: the flow uses viewflow's own ``Process`` and ``Task`` tables."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """This app in ``INSTALLED_APPS`` for the duration."""
    from django.conf import settings
    from django.test.utils import override_settings

    if "bench.peers" in settings.INSTALLED_APPS:
        yield
        return
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "bench.peers"]):
        yield
