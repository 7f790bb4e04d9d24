"""Fail when a compiled catalogue (.mo) is older in content than its .po source."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    if shutil.which("msgfmt") is None:
        print("msgfmt (GNU gettext) is not installed: catalogues not checked")
        return 0
    stale = []
    catalogues = [*(ROOT / "locale").glob("*/LC_MESSAGES/*.po")]
    catalogues += (ROOT / "locale_viewflow").glob("*/LC_MESSAGES/*.po")
    for po in sorted(catalogues):
        mo = po.with_suffix(".mo")
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "fresh.mo"
            subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)  # noqa: S603, S607
            if not mo.exists() or mo.read_bytes() != fresh.read_bytes():
                stale.append(str(po.relative_to(ROOT)))
    if stale:
        print("Compiled catalogues out of date; run `make messages`:", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
