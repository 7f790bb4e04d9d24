"""The security log for the auditor: refused actions, newest first."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.errors import Forbidden
from core.security import refusal_list
from web.views.lists import list_page

#: The refusals shown per page.
PAGE_SIZE = 100


def refusal_log(request: HttpRequest) -> HttpResponse:
    """Who was refused what, when, on which estimate and why. For the holders of
    ``core.view_securityevent``: the auditor role's groups (``organization.permissions``)."""
    if not request.user.has_perm("core.view_securityevent"):
        raise Forbidden(_("Only the auditor reads the security log."))
    page = list_page(request, refusal_list(), PAGE_SIZE)
    return render(request, "security/refusals.html", {"page": page})
