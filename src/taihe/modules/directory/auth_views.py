"""Sign-in pages: login (with the optional second factor), logout, password change and reset,
and two-factor set-up. Thin: every change goes through ``services`` or ``twofactor``."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlsplit

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from taihe.kernel.errors import Conflict, RateLimited, ValidationFailed
from taihe.kernel.http import ratelimit
from taihe.modules.directory import services, twofactor
from taihe.modules.directory.models import Person

PENDING_SESSION_KEY = "taihe_two_factor_pending"
# Long enough to unlock a phone and open the app, short enough that an abandoned half-login
# on a shared gallery terminal goes stale on its own.
PENDING_SECONDS = 300


def _person(request: HttpRequest) -> Person:
    return cast(Person, request.user)


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` address when it stays on this site, else an empty string."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return ""


def _rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    return render(request, "directory/auth/rate_limited.html", {"message": error.detail},
                  status=error.status)


def _locked_message() -> str:
    return _("This account is locked after too many failed attempts. Try again in "
             "%(minutes)d minutes, or reset your password.") % {
        "minutes": settings.TAIHE_LOCKOUT_MINUTES}


def _finish_login(request: HttpRequest, person: Person, next_url: str, *,
                  backend: str | None = None, device: Any = None) -> HttpResponse:
    auth_login(request, person, backend=backend)
    if device is not None:
        django_otp.login(request, device)
    response = HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    if person.language:
        # The middleware applies the person's language on later requests; the cookie keeps it
        # on the sign-in pages after they log out on this browser.
        translation.activate(person.language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, person.language,
                            max_age=settings.LANGUAGE_COOKIE_AGE,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                            secure=settings.LANGUAGE_COOKIE_SECURE)
    return response


# --- Login --------------------------------------------------------------------------------

class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=80,
                               widget=forms.TextInput(attrs={"autofocus": True,
                                                             "autocomplete": "username",
                                                             "autocapitalize": "none"}))
    password = forms.CharField(label=gettext_lazy("Password"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Six-digit code"), max_length=12,
                           widget=forms.TextInput(attrs={"autofocus": True,
                                                         "autocomplete": "one-time-code",
                                                         "inputmode": "numeric",
                                                         "pattern": "[0-9 ]*"}))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Username and password; with a confirmed authenticator, on to ``login_verify``."""
    next_url = _safe_next(request)
    form = LoginForm(request.POST or None)
    if request.method == "POST":
        try:
            ratelimit.hit("login", ratelimit.client_key(request))
        except RateLimited as error:
            return _rate_limited(request, error)
        if form.is_valid():
            person = authenticate(request, username=form.cleaned_data["username"],
                                  password=form.cleaned_data["password"])
            if person is None:
                if getattr(request, "taihe_locked", False):
                    form.add_error(None, _locked_message())
                else:
                    # One message for an unknown name and a wrong password: no username oracle.
                    form.add_error(None, _("The username or password is not correct."))
            elif twofactor.has_two_factor(person):
                # Nobody is signed in yet: only this session remembers whose password passed.
                request.session.cycle_key()
                request.session[PENDING_SESSION_KEY] = {
                    "person_id": person.pk, "next": next_url, "since": time.time(),
                    "backend": getattr(person, "backend", None)}
                return redirect("directory:login_verify")
            else:
                return _finish_login(request, person, next_url,
                                     backend=getattr(person, "backend", None))
    return render(request, "directory/auth/login.html", {"form": form, "next": next_url})


def _pending(request: HttpRequest) -> tuple[Person | None, dict[str, Any]]:
    """The person whose password was accepted in this session and what they asked for."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        return None, {}
    if time.time() - float(pending.get("since", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None, {}
    person_id = pending.get("person_id")
    if not isinstance(person_id, int):
        return None, {}
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    return person, pending


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app of the person whose password was
    just accepted. Nobody is signed in until it is right."""
    person, pending = _pending(request)
    if person is None:
        messages.info(request, _("Your sign-in took too long. Please start again."))
        return redirect("directory:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        try:
            ratelimit.hit("login", ratelimit.client_key(request))
        except RateLimited as error:
            return _rate_limited(request, error)
        if person.is_locked():
            request.session.pop(PENDING_SESSION_KEY, None)
            return _locked_login_page(request)
        if form.is_valid():
            device = twofactor.verify_sign_in_code(person, form.cleaned_data["code"], request)
            if device is not None:
                request.session.pop(PENDING_SESSION_KEY, None)
                return _finish_login(request, person, str(pending.get("next") or ""),
                                     backend=pending.get("backend"), device=device)
            if getattr(request, "taihe_locked", False):
                request.session.pop(PENDING_SESSION_KEY, None)
                return _locked_login_page(request)
            form.add_error("code", _("This code is not right. Use the newest code in your "
                                     "authenticator app."))
    return render(request, "directory/auth/login_verify.html", {"form": form})


def _locked_login_page(request: HttpRequest) -> HttpResponse:
    messages.error(request, _locked_message())
    return redirect("directory:login")


# --- Logout -------------------------------------------------------------------------------

@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; only a POST (with its CSRF token) signs out, so a link or
    an image on another site cannot."""
    if request.method == "POST":
        auth_logout(request)
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if not request.user.is_authenticated:
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "directory/auth/logout.html")


# --- Password change ----------------------------------------------------------------------

class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=gettext_lazy("Current password"), strip=False,
                                   widget=forms.PasswordInput(
                                       attrs={"autocomplete": "current-password",
                                              "autofocus": True}))
    new_password1 = forms.CharField(label=gettext_lazy("New password"), strip=False,
                                    widget=forms.PasswordInput(
                                        attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=gettext_lazy("New password again"), strip=False,
                                    widget=forms.PasswordInput(
                                        attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two new passwords differ."))
        return cleaned


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_change_password(person, old_password=form.cleaned_data["old_password"],
                                        new_password=form.cleaned_data["new_password1"])
        except ValidationFailed as error:
            for field, message in error.fields.items():
                form.add_error("new_password1" if field == "new_password" else field, message)
        else:
            # Stay signed in here; every other session of this person ends with the old hash.
            update_session_auth_hash(request, person)
            return redirect("directory:password_change_done")
    return render(request, "directory/auth/password_change_form.html", {"form": form})


@login_required
def password_change_done(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/auth/password_change_done.html")


# --- Password reset by email --------------------------------------------------------------

class ResetRequestForm(PasswordResetForm):
    def get_users(self, email: str) -> Iterator[Any]:
        # Unlike Django's default, people without a usable password are included: HR may add
        # someone without a password so that they choose their first one through this link.
        wanted = unicodedata.normalize("NFKC", email).casefold()
        for person in Person.objects.filter(email__iexact=email, is_active=True):
            if unicodedata.normalize("NFKC", person.email).casefold() == wanted:
                yield person

    def send_mail(self, subject_template_name: str, email_template_name: str,
                  context: dict[str, Any], from_email: str | None, to_email: str,
                  html_email_template_name: str | None = None) -> None:
        # Written in the recipient's language, whichever language the requester browses in.
        language = getattr(context.get("user"), "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, from_email,
                              to_email, html_email_template_name)


class ResetSetPasswordForm(SetPasswordForm):
    """Sets the password through the service, so the change is audited and announced."""

    def save(self, commit: bool = True) -> Any:
        services.do_set_password(cast(Person, self.user), self.cleaned_data["new_password1"])
        return self.user


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "directory/auth/password_reset_form.html"
    email_template_name = "directory/auth/password_reset_email.txt"
    subject_template_name = "directory/auth/password_reset_subject.txt"
    success_url = reverse_lazy("directory:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Its own counter in the login bucket: mail to someone's inbox must not be a flood.
        try:
            ratelimit.hit("login", "password-reset:" + ratelimit.client_key(request))
        except RateLimited as error:
            return _rate_limited(request, error)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # Links point at the configured site address, never at the Host header of the request.
        site = urlsplit(settings.TAIHE_SITE_URL)
        form.save(
            domain_override=site.netloc or None,
            use_https=site.scheme == "https" if site.netloc else self.request.is_secure(),
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context=self.extra_email_context,
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "directory/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ResetSetPasswordForm
    template_name = "directory/auth/password_reset_confirm.html"
    success_url = reverse_lazy("directory:password_reset_complete")
    post_reset_login = False


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "directory/auth/password_reset_complete.html"


# --- Two-factor set-up --------------------------------------------------------------------

class DisableTwoFactorForm(CodeForm):
    password = forms.CharField(label=gettext_lazy("Password"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))
    field_order = ["password", "code"]


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Shows whether two-factor sign-in is on; when off, the QR code and secret to enrol and
    the form that confirms the first code."""
    person = _person(request)
    if twofactor.has_two_factor(person):
        return render(request, "directory/auth/two_factor.html", {"enabled": True})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            twofactor.do_confirm_two_factor(person, form.cleaned_data["code"])
        except ValidationFailed as error:
            form.add_error("code", error.fields.get("code", str(error.detail)))
        except Conflict:
            return redirect("directory:two_factor")
        else:
            messages.success(request, _("Two-factor sign-in is on. From now on you will be "
                                        "asked for a code after your password."))
            return redirect("directory:two_factor")
    device = twofactor.enrolment_device(person)
    return render(request, "directory/auth/two_factor.html", {
        "enabled": False, "form": form, "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.manual_secret(device)})


@sensitive_post_parameters("password", "code")
@csrf_protect
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if not twofactor.has_two_factor(person):
        return redirect("directory:two_factor")
    form = DisableTwoFactorForm(request.POST or None)
    if request.method == "POST":
        # The password is checked here too, so guesses are limited like sign-in attempts.
        try:
            ratelimit.hit("login", ratelimit.client_key(request))
        except RateLimited as error:
            return _rate_limited(request, error)
        if form.is_valid():
            try:
                twofactor.do_disable_two_factor(person, password=form.cleaned_data["password"],
                                                code=form.cleaned_data["code"])
            except ValidationFailed as error:
                for field, message in error.fields.items():
                    form.add_error(field, message)
            except Conflict:
                return redirect("directory:two_factor")
            else:
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("directory:two_factor")
    return render(request, "directory/auth/two_factor_disable.html", {"form": form})
