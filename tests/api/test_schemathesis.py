"""Schemathesis against the live schema of the running app (in process, over WSGI): for
every operation, generated valid and invalid requests by a commune officer with a token
and a few estimates in several states. No answer may be a 5xx or break the schema.

Bounded: 25 examples per operation, no deadline; the whole run takes well under a minute.
The money operations (disburse, settle, verify-settlement, the disbursement and
settlement lists) join the run once the ledger's services are installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from approvals import services
from estimates.models import Estimate, Plan
from tests.factories import api_key

MONEY = r"/(disburse|settle|verify-settlement|disbursements|settlements)/"
LEDGER_READY = hasattr(services, "estimate_disburse")


@pytest.fixture
def api_token(people: dict[str, Any], make_estimate: Callable[..., Estimate]) -> str:
    """A commune officer of Sì Lở Lầu with estimates in each state reachable without the
    ledger, and one of Nậm Xe she must not see."""
    for status in ("draft", "returned", "review", "appraisal"):
        make_estimate(status)
    make_estimate("draft", unit_code="nam-xe", drafter="hoi.namxe")
    return api_key(people["hoi.silolau"])


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes database connections when a request ends; the test's
    transaction lives on that connection. Django's test client unhooks this the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The schema is read from the app itself when the module is collected (generating it
# touches no database); the requests run inside each test, on the test database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
if not LEDGER_READY:
    schema = schema.exclude(path_regex=MONEY)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any, api_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Token {api_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


@pytest.mark.django_db
def test_answers_about_real_objects_conform_to_the_schema(
    api_token: str, plan: Plan, people: dict[str, Any]
) -> None:
    """Generated ids rarely hit a real object; these requests do, as several roles."""
    checks = [not_a_server_error, response_schema_conformance]
    estimates = list(Estimate.objects.order_by("pk"))
    reads = [("/api/v1/plans/{id}/", plan.pk)] + [
        (path, est.pk)
        for est in estimates
        for path in (
            "/api/v1/estimates/{id}/",
            "/api/v1/estimates/{id}/history/",
            "/api/v1/estimates/{id}/versions/",
            "/api/v1/estimates/{id}/estimate-form/",
            "/api/v1/estimates/{id}/settlement-form/",
        )
    ]
    for username in ("hoi.silolau", "hoi.huyen", "tckh", "kiemtoan"):
        headers = {"Authorization": f"Token {api_key(people[username])}"}
        for path, pk in reads:
            case = schema[path]["GET"].Case(path_parameters={"id": pk})
            case.call_and_validate(headers=headers, checks=checks)
        for path in ("/api/v1/plans/", "/api/v1/estimates/", "/api/v1/tasks/"):
            schema[path]["GET"].Case().call_and_validate(headers=headers, checks=checks)
    draft = next(est for est in estimates if est.status == "draft")
    submit = schema["/api/v1/estimates/{id}/submit/"]["POST"].Case(
        path_parameters={"id": draft.pk}, body={"comment": "Kính trình"}
    )
    response = submit.call_and_validate(
        headers={"Authorization": f"Token {api_token}"}, checks=checks
    )
    assert response.status_code == 200
