"""The board's sign-in pages: signing in (with the one-time secret or password, or by single
sign-on), choosing a password, signing out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from overgang.api.deps import AuditDep, SessionsDep
from overgang.board import session as cookies
from overgang.board import sso
from overgang.board.pages import render
from overgang.service import people, sign_on

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=300)]


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_form(request, email="", error=None)


def _login_form(request: Request, *, email: str, error: str | None) -> Response:
    token = cookies.login_csrf(request)
    response = render(
        request,
        "login.html",
        {"csrf": token, "email": email, "error": error, "sso_label": _sso_label(request)},
        status_code=200 if error is None else 401,
    )
    cookies.set_cookie(response, cookies.LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    sessions: SessionsDep,
    audit: AuditDep,
    *,
    email: FormText = "",
    secret: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    cookies.check_login_csrf(request, csrf_token)
    try:
        signed_in = people.sign_in(
            sessions=sessions, email=email, secret=secret, audit=audit, now=datetime.now(UTC)
        )
    except people.SignInRefused:
        return _login_form(
            request,
            email=email,
            error="E-mailadressen eller koden er forkert, eller kontoen er midlertidigt spærret "
            "efter for mange forsøg.",
        )
    target = "/login/adgangskode" if signed_in.must_set_password else "/board"
    response = RedirectResponse(target, status_code=303)
    cookies.start_session(response, signed_in.token)
    return response


def _sso_label(request: Request) -> str | None:
    """The single sign-on button's text, or None when no provider is configured."""
    return request.app.state.settings.sso_button_label if sso.is_configured(request) else None


# Why a single sign-on signed no one in, as the person is told (service.sign_on's reasons).
_SSO_REFUSALS = {
    "token-refused": "Svaret fra log ind-tjenesten kunne ikke godkendes, eller det var for "
    "gammelt. Prøv at logge ind igen fra begyndelsen.",
    "email-not-verified": "Log ind-tjenesten har ikke bekræftet din e-mailadresse, så Overgang "
    "kan ikke finde din konto. Kontakt din administrator.",
    "unknown-person": "Du er ikke oprettet som bruger af Overgang. Bed din administrator om at "
    "oprette dig med den e-mailadresse, du har hos log ind-tjenesten.",
    "bound-elsewhere": "Din e-mailadresse hører til en konto, der er knyttet til en anden "
    "identitet hos log ind-tjenesten. Kontakt din administrator.",
    "disabled": "Din konto er lukket. Kontakt din administrator.",
}


@router.get("/login/sso")
async def sso_start(request: Request) -> Response:
    if not sso.is_configured(request):
        return _not_configured(request)
    try:
        return await sso.redirect_to_provider(request)
    except sso.ProviderUnavailable:
        return render(
            request,
            "message.html",
            {
                "title": "Log ind-tjenesten svarer ikke",
                "text": "Prøv igen om lidt, eller log ind med din adgangskode.",
                "link": ("/login", "Til log ind"),
            },
            status_code=503,
        )


@router.get("/login/sso/callback", name=sso.CALLBACK_ROUTE)
async def sso_callback(request: Request, sessions: SessionsDep, audit: AuditDep) -> Response:
    """The provider sends the person back here; nothing is stored unless they are let in."""
    if not sso.is_configured(request):
        return _not_configured(request)
    response: Response
    try:
        identity = await sso.identity_from_callback(request)
        signed_in = await run_in_threadpool(
            lambda: sign_on.sign_on(
                sessions=sessions,
                identity=identity,
                trust_email=request.app.state.settings.sso_trust_email,
                audit=audit,
                now=datetime.now(UTC),
            )
        )
    except sso.ProviderAnswerRefused:
        await run_in_threadpool(
            lambda: sign_on.record_refusal(sessions=sessions, audit=audit, reason="token-refused")
        )
        response = _sso_refused(request, "token-refused")
    except sign_on.SignOnRefused as refused:
        response = _sso_refused(request, refused.reason)
    else:
        response = RedirectResponse("/board", status_code=303)
        cookies.start_session(response, signed_in.token)
    sso.forget_exchange(response)
    return response


def _sso_refused(request: Request, reason: str) -> Response:
    return render(
        request,
        "message.html",
        {
            "title": "Du blev ikke logget ind",
            "text": _SSO_REFUSALS[reason],
            "link": ("/login", "Til log ind"),
        },
        status_code=403,
    )


def _not_configured(request: Request) -> Response:
    return render(
        request,
        "message.html",
        {
            "title": "Log ind via din organisation er ikke sat op",
            "text": "Log ind med din e-mailadresse og adgangskode.",
            "link": ("/login", "Til log ind"),
        },
        status_code=404,
    )


@router.get("/login/adgangskode")
def password_page(request: Request) -> Response:
    viewer = cookies.current_viewer(request, allow_pending=True)
    return render(
        request,
        "password.html",
        {"viewer": viewer, "csrf": cookies.csrf_for_session(request), "error": None},
    )


@router.post("/login/adgangskode")
def choose_password(
    request: Request,
    sessions: SessionsDep,
    password: FormText = "",
    repeated: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    viewer = cookies.current_viewer(request, allow_pending=True)
    cookies.check_session_csrf(request, csrf_token)
    error = "De to adgangskoder er ikke ens." if password != repeated else None
    if error is None:
        error = people.set_password(
            sessions=sessions,
            token=cookies.session_token(request),
            password=password,
            now=datetime.now(UTC),
        )
    if error is not None:
        return render(
            request,
            "password.html",
            {"viewer": viewer, "csrf": cookies.csrf_for_session(request), "error": error},
            status_code=422,
        )
    return RedirectResponse("/board", status_code=303)


@router.post("/board/log-ud")
def sign_out(request: Request, sessions: SessionsDep, csrf_token: FormText = "") -> Response:
    cookies.check_session_csrf(request, csrf_token)
    people.sign_out(sessions=sessions, token=cookies.session_token(request))
    response = render(
        request,
        "message.html",
        {
            "title": "Du er logget ud",
            "text": "Luk browseren, hvis du deler computeren med andre.",
            "link": ("/login", "Log ind igen"),
        },
    )
    cookies.end_session(response)
    return response
