from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import unit_tree as select_unit_tree


def unit_tree(request: HttpRequest) -> HttpResponse:
    return render(request, "organization/tree.html", {"roots": select_unit_tree()})
