"""The site's addresses plus one that fails with an unexpected error (a 500)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from config.urls import urlpatterns as site


@login_not_required
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("an unexpected error; password=hunter2 must not reach the log")


urlpatterns: list[URLPattern | URLResolver] = [path("test/boom/", boom), *site]
