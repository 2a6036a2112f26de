"""The board's sign-in pages: signing in, choosing a password, signing out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from overgang.api.deps import SessionsDep
from overgang.board import session as cookies
from overgang.board.pages import render
from overgang.service import people

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
        {"csrf": token, "email": email, "error": error},
        status_code=200 if error is None else 401,
    )
    cookies.set_cookie(response, cookies.LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    sessions: SessionsDep,
    email: FormText = "",
    secret: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    cookies.check_login_csrf(request, csrf_token)
    try:
        signed_in = people.sign_in(
            sessions=sessions, email=email, secret=secret, now=datetime.now(UTC)
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
