"""An estimate in the API's answers is written out field by field (``EstimateSerializer.
to_representation``) rather than by DRF's generic walk: the same answer, key by key and in
the same order, for estimates at every stage (amounts and dates missing or present), in
the list's and the detail's serializer, in both languages, for every role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import translation
from rest_framework.test import APIRequestFactory
from rest_framework.utils.encoders import JSONEncoder

from api.serializers import EstimateDetailSerializer, EstimateSerializer
from api.views import list_rows
from estimates.models import Estimate, Plan
from tests.factories import estimates_at_every_stage


@pytest.fixture
def every_stage(plan: Plan) -> list[Estimate]:
    return estimates_at_every_stage(plan)


def _context(user: Any) -> dict[str, Any]:
    request = APIRequestFactory().get("/api/v1/estimates/")
    request.user = user
    return {"request": request}


def _json(data: Any) -> str:
    return json.dumps(data, cls=JSONEncoder, ensure_ascii=False)


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("username", ["hoi.silolau", "hoi.huyen", "tckh", "pho.chutich"])
@pytest.mark.django_db
def test_the_list_answers_as_drf_would(
    every_stage: list[Estimate], users: dict[str, Any], username: str, language: str
) -> None:
    rows = list(
        list_rows(Estimate.objects.filter(pk__in=[e.pk for e in every_stage])).order_by("pk")
    )
    assert {e.status for e in rows} >= {"draft", "review", "appraisal", "approval", "approved"}
    assert any(e.appraised_amount is None for e in rows)
    assert any(e.approved_amount is not None for e in rows)
    assert all("ref_unit_name" in e.__dict__ for e in rows)  # read with the row, not built
    with translation.override(language):
        fast = EstimateSerializer(rows, many=True, context=_context(users[username])).data
        generic_serializer = EstimateSerializer(context=_context(users[username]))
        generic = [generic_serializer.generic_representation(e) for e in rows]
    assert [list(row) for row in fast] == [list(row) for row in generic]  # the keys' order
    assert _json(fast) == _json(generic)
    assert any(row["actions"] for row in fast) or username == "pho.chutich"


@pytest.mark.django_db
def test_the_detail_answers_as_drf_would(
    every_stage: list[Estimate], users: dict[str, Any]
) -> None:
    for estimate in every_stage:
        serializer = EstimateDetailSerializer(estimate, context=_context(users["hoi.huyen"]))
        fast = serializer.data
        generic = EstimateDetailSerializer(
            context=_context(users["hoi.huyen"])
        ).generic_representation(estimate)
        assert list(fast) == list(generic)
        assert _json(fast) == _json(generic)
        assert fast["lines"] and fast["created_by"]
