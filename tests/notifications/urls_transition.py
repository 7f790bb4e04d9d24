"""A stand-in for the lead's transition views: submit an estimate (integration tests only)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from estimates.models import Estimate, EstimateStatus
from notifications.models import EventKind
from tests.notifications.helpers import transition


def submit(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = get_object_or_404(Estimate, pk=pk)
    transition(estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=request.user)
    return HttpResponse("submitted")


urlpatterns = [path("submit/<int:pk>/", submit)]
