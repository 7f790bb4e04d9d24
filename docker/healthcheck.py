"""The container health check of the web service: GET /readyz (the database and the
broker answer) on this container, with a Host header the site accepts. Exit 0 if 200."""

import os
import sys
import urllib.request

host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip("*.")
path = sys.argv[1] if len(sys.argv) > 1 else "/readyz"
request = urllib.request.Request(
    f"http://127.0.0.1:8000{path}", headers={"Host": host or "localhost"}
)
try:
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        sys.exit(0 if answer.status == 200 else 1)
except Exception as error:
    print(f"{path}: {error}", file=sys.stderr)
    sys.exit(1)
