"""The users of ``bench.load`` (run by locust, headless): each an approver who signs in with
password and authenticator code, then cycles through the inbox, the estimate list, an
estimate's page, the API's estimate list (session-authenticated, as the site's own
scripts would) and one approval (the form read, then posted with its CSRF token) of an
estimate waiting for approval, taken from a pool shared by the users of this process.

Environment (set by ``bench.load``): ``BENCH_LOAD_PEOPLE`` (a JSON file: usernames,
password, authenticator keys, estimate ids to read and to approve), ``BENCH_LOAD_THINK``
(``min,max`` seconds between requests; ``0,0`` for the saturation run).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import struct
import time
from typing import Any

from locust import HttpUser, between, events, task

PEOPLE: dict[str, Any] = json.loads(open(os.environ["BENCH_LOAD_PEOPLE"]).read())  # noqa: SIM115
THINK = [float(x) for x in os.environ.get("BENCH_LOAD_THINK", "1,5").split(",")]
ACCOUNTS = itertools.cycle(PEOPLE["users"])
#: Every request of the user cycles (sign-in apart): kind, milliseconds, failed, when.
TIMINGS: list[tuple[str, float, bool, float]] = []
#: When each user had signed in (``time.time()``): the steady state starts after the last.
SIGNED_IN: list[float] = []
SIGN_IN = ("sign in", "second factor")


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, exception: Any, **_: Any) -> None:
    if name not in SIGN_IN:
        TIMINGS.append((name, response_time, exception is not None, time.time()))


@events.quitting.add_listener
def _write(**_: Any) -> None:
    with open(os.environ["BENCH_LOAD_TIMINGS"], "w") as out:
        json.dump({"timings": TIMINGS, "signed_in": SIGNED_IN}, out)


TO_APPROVE: list[int] = list(PEOPLE["approve"])
TO_READ: list[int] = list(PEOPLE["read"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _code(key_hex: str) -> str:
    """The authenticator app's code now (RFC 6238: 30 s steps, 6 digits, SHA-1)."""
    digest = hmac.new(
        bytes.fromhex(key_hex), struct.pack(">Q", int(time.time()) // 30), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Approver(HttpUser):
    wait_time = between(*THINK)

    def on_start(self) -> None:
        account = next(ACCOUNTS)
        self.reads = itertools.cycle(TO_READ[hash(account["username"]) % len(TO_READ) :] + TO_READ)
        page = self.client.get("/accounts/login/", name="sign in").text
        token = CSRF.search(page)
        assert token is not None, "no CSRF token on the login page"  # noqa: S101
        answer = self.client.post(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": account["username"],
                "password": PEOPLE["password"],
            },
            name="sign in",
        )
        # The approver's role asks for the second factor: the verify page, then the code.
        if "/2fa/verify/" in answer.url:
            token = CSRF.search(answer.text)
            assert token is not None  # noqa: S101
            self.client.post(
                answer.url,
                {"csrfmiddlewaretoken": token.group(1), "code": _code(account["key"])},
                name="second factor",
            )
        SIGNED_IN.append(time.time())

    @task
    def cycle(self) -> None:
        self.client.get("/estimates/inbox/", name="inbox")
        self._think()
        self.client.get("/estimates/", name="list")
        self._think()
        self.client.get(f"/estimates/{next(self.reads)}/", name="detail")
        self._think()
        self.client.get("/api/v1/estimates/", name="API list")
        if TO_APPROVE:
            self._think()
            pk = TO_APPROVE.pop()
            page = self.client.get(f"/estimates/{pk}/approve/", name="approve (form)")
            token = CSRF.search(page.text)
            if token is not None:
                with self.client.post(
                    f"/estimates/{pk}/approve/",
                    {
                        "csrfmiddlewaretoken": token.group(1),
                        "seen_status": "approval",
                        "confirm": "on",
                        "comment": "",
                    },
                    name="approve (post)",
                    allow_redirects=False,
                    catch_response=True,
                ) as answer:
                    if answer.status_code != 302:
                        answer.failure(f"approval answered {answer.status_code}")

    def _think(self) -> None:
        self.wait()
