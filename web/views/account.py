"""The user's own sign-in pages: setting up the second factor (an authenticator app and
ten recovery codes), entering it at login and again before approving or paying, turning
it off, and the user's API tokens."""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.middleware import second_factor_exempt
from accounts.models import ApiToken
from accounts.second_factor import (
    NEW_CODES,
    authenticator_confirm,
    authenticator_pending,
    authenticator_qr_svg,
    code_check,
    has_second_factor,
    mark_verified,
    second_factor_required,
    second_factor_reset,
    session_verified,
    verification_fresh,
)
from accounts.tokens import token_issue, tokens_revoke
from core.auth import request_user


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=365, initial=90
    )


def _next(request: HttpRequest) -> str:
    """The safe address to go back to (``next``), or the start page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("estimates:start")


def recent_second_factor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Approving, disbursing and verifying a settlement: the second factor is asked again
    when it was passed more than ``OTP_REAUTH_SECONDS`` ago, then back to the action's
    page. Whoever takes these actions (a delegate acting for the role too) must have a
    second factor; only the embedded demo (``OTP_REQUIRED`` off) lets a user without one
    act with the password alone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not verification_fresh(request):
            back = request.get_full_path() if request.method == "GET" else request.path
            user = request_user(request)
            if has_second_factor(user):
                name = "second_factor_verify"
            elif settings.OTP_REQUIRED:
                name = "second_factor_setup"
            else:
                return view(request, *args, **kwargs)
            messages.info(request, _("Enter your second factor again to go on."))
            return HttpResponseRedirect(f"{reverse('account:' + name)}?{urlencode({'next': back})}")
        return view(request, *args, **kwargs)

    return wrapper


@second_factor_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code with an authenticator app, then enter a code it shows."""
    user = request_user(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = authenticator_confirm(user, form.cleaned_data["code"], request=request)
        if codes is not None:
            request.session[NEW_CODES] = codes
            return HttpResponseRedirect(
                f"{reverse('account:second_factor_codes')}?{urlencode({'next': _next(request)})}"
            )
        form.add_error("code", _("This code is not right. Enter the code your app shows now."))
    device = authenticator_pending(user)
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "secret": secret,
        "next": _next(request),
        "required": second_factor_required(user),
        "replacing": has_second_factor(user),
    }
    return render(
        request, "account/setup.html", context, status=400 if request.method == "POST" else 200
    )


@second_factor_exempt
@never_cache
def second_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the authenticator being set up, as an SVG image."""
    device = authenticator_pending(request_user(request))
    return HttpResponse(authenticator_qr_svg(device), content_type="image/svg+xml")


@second_factor_exempt
@never_cache
def second_factor_codes(request: HttpRequest) -> HttpResponse:
    """The ten recovery codes just made: shown this once."""
    codes = request.session.pop(NEW_CODES, None)
    if not codes:
        return HttpResponseRedirect(_next(request))
    return render(request, "account/codes.html", {"codes": codes, "next": _next(request)})


@second_factor_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    """Enter a code from the authenticator app (or a recovery code)."""
    user = request_user(request)
    if not has_second_factor(user):
        return HttpResponseRedirect(
            f"{reverse('account:second_factor_setup')}?{urlencode({'next': _next(request)})}"
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = code_check(user, form.cleaned_data["code"], request=request)
        if device is not None:
            mark_verified(request, device)
            return HttpResponseRedirect(_next(request))
        form.add_error(
            "code",
            _(
                "This code is not right, was already used, or came too soon after a wrong "
                "one. Wait for the next code and try again."
            ),
        )
    return render(
        request,
        "account/verify.html",
        {"form": form, "next": _next(request)},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
def account_security(request: HttpRequest) -> HttpResponse:
    """Your second factor and your API tokens."""
    user = request_user(request)
    context = {
        "has_device": has_second_factor(user),
        "required": second_factor_required(user),
        "tokens": ApiToken.objects.filter(user=user),
        "form": TokenForm(),
    }
    return render(request, "account/security.html", context)


@require_POST
@recent_second_factor
def second_factor_disable(request: HttpRequest) -> HttpResponse:
    """Remove your authenticator and recovery codes (one who must have a second factor
    sets up a new one right away)."""
    user = request_user(request)
    second_factor_reset(user, request=request)
    messages.success(request, _("Your second factor was removed."))
    if second_factor_required(user):
        return HttpResponseRedirect(reverse("account:second_factor_setup"))
    return HttpResponseRedirect(reverse("account:security"))


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token, shown once. Only for a session that has passed the second factor
    (a user who has none yet sets one up first)."""
    user = request_user(request)
    if not session_verified(request):
        name = "second_factor_verify" if has_second_factor(user) else "second_factor_setup"
        messages.info(request, _("API tokens are issued after the second factor."))
        return HttpResponseRedirect(
            f"{reverse('account:' + name)}?{urlencode({'next': reverse('account:security')})}"
        )
    form = TokenForm(request.POST)
    if not form.is_valid():
        context = {
            "has_device": has_second_factor(user),
            "required": second_factor_required(user),
            "tokens": ApiToken.objects.filter(user=user),
            "form": form,
        }
        return render(request, "account/security.html", context, status=400)
    token, key = token_issue(
        user, name=form.cleaned_data["name"], days=form.cleaned_data["days"], request=request
    )
    return render(request, "account/token_created.html", {"token": token, "key": key})


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    token = get_object_or_404(ApiToken, pk=pk, user=user)
    tokens_revoke(
        ApiToken.objects.filter(pk=token.pk), reason="revoked by its owner", request=request
    )
    messages.success(request, _("The token was revoked."))
    return HttpResponseRedirect(reverse("account:security"))
