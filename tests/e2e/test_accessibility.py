"""axe-core (vendored under tests/e2e/vendor, MPL-2.0) run in headless Chromium on the
main pages, in Vietnamese, at the desktop and the phone width: no "serious" or "critical"
violation but those listed in ``KNOWN``. The full results are written beside the screenshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

from estimates.models import Plan
from tests.e2e.conftest import DESKTOP, PHONE, session_cookie
from tests.factories import estimate_in_status

pytestmark = [pytest.mark.browser]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = {"serious", "critical"}
#: Serious violations known and reported, not yet fixed (page-width: axe rule ids). On a
#: phone the estimate's lines table scrolls sideways in a ``.scroll`` box that the keyboard
#: cannot reach (it needs ``tabindex="0"`` and a name). Remove an entry once it is fixed.
KNOWN: dict[str, set[str]] = {}


def axe(page: sync_api.Page) -> list[dict[str, Any]]:
    """The violations axe-core finds on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return list(result["violations"])


@pytest.mark.django_db(transaction=True)
def test_the_main_pages_have_no_serious_accessibility_violation(
    live_server: Any, plan: Plan, chromium: sync_api.Browser, screenshots: Path
) -> None:
    estimate = estimate_in_status("approval", plan=plan, drafter="hoi.silolau")
    pages = {
        "inbox": "/estimates/inbox/",
        "estimate": f"/estimates/{estimate.pk}/",
        "list": "/estimates/",
    }
    found: dict[str, list[str]] = {}
    report: dict[str, Any] = {}
    for label, size in (("1366", DESKTOP), ("375", PHONE)):
        # bypass_csp: the site allows no inline script, axe is injected as one
        context = chromium.new_context(locale="vi-VN", viewport=size, bypass_csp=True)
        context.add_cookies([session_cookie(live_server, "pho.chutich")])
        page = context.new_page()
        for name, path in pages.items():
            page.goto(live_server.url + path)
            violations = axe(page)
            report[f"{name}-{label}"] = violations
            for v in violations:
                if v["impact"] in SERIOUS and v["id"] not in KNOWN.get(f"{name}-{label}", ()):
                    targets = [n["target"] for n in v["nodes"]][:5]
                    found.setdefault(f"{name}-{label}", []).append(
                        f"{v['id']} ({v['impact']}): {v['help']} {targets}"
                    )
        context.close()
    (screenshots / "axe.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
