"""The board's cookies, CSRF tokens and the signed-in person of a request.

A session cookie (`__Host-`: Secure, Path=/, no Domain; HttpOnly; SameSite=Lax) carries a random
token whose hash `person_sessions` holds. Every form carries a CSRF token: on the sign-in form the
value of a random cookie of its own (double submit: there is no session yet), on every other
form an HMAC of the session token, which another site can neither read nor compute.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response

from overgang.domain import people as rules
from overgang.domain.people import Viewer
from overgang.service import people

SESSION_COOKIE = "__Host-overgang-session"
LOGIN_COOKIE = "__Host-overgang-login"
CSRF_FIELD = "csrf_token"


class SignInNeeded(Exception):
    """No live session: the page answers with a redirect to /login."""


class PasswordNeeded(Exception):
    """Signed in with the one-time secret: nothing but choosing a password until it is chosen."""


class CsrfRefused(Exception):
    """A form without the token this browser was given: answered 403, nothing done."""


def session_token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def current_viewer(request: Request, *, allow_pending: bool = False) -> Viewer:
    """The signed-in person of this request, or SignInNeeded (PasswordNeeded before a password)."""
    viewer = people.viewer_of_session(
        sessions=request.app.state.sessions, token=session_token(request), now=datetime.now(UTC)
    )
    if viewer is None:
        raise SignInNeeded
    if viewer.must_set_password and not allow_pending:
        raise PasswordNeeded
    return viewer


def csrf_for_session(request: Request) -> str:
    return people.csrf_token(session_token(request))


def check_session_csrf(request: Request, submitted: str) -> None:
    if not hmac.compare_digest(csrf_for_session(request).encode(), submitted.encode()):
        raise CsrfRefused


def login_csrf(request: Request) -> str:
    """The sign-in form's token: this browser's login cookie, or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)


def check_login_csrf(request: Request, submitted: str) -> None:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfRefused


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def start_session(response: Response, token: str) -> None:
    set_cookie(response, SESSION_COOKIE, token, max_age=int(rules.SESSION_LONGEST.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
