"""Every error, rendered in the form its caller reads: problem+json (RFC 9457) on /api,
a FHIR OperationOutcome on /fhir. Neither ever echoes the input (it may hold a CPR number)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from overgang.api.fhir_format import chosen_format, fhir_response, format_of_content_type
from overgang.domain.issues import Issue
from overgang.errors import OvergangError
from overgang.fhir.acknowledgement import build_operation_outcome
from overgang.logs import request_id_var

logger = logging.getLogger("overgang.api")

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
PROBLEM_JSON = "application/problem+json"
FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"
ISSUE_CODE_BY_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    408: "timeout",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    503: "transient",
}


def problem(
    status: int, title: str, detail: str, *, errors: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def operation_outcome(status: int, issues: list[Issue]) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        build_operation_outcome(issues), status_code=status, media_type=FHIR_JSON, headers=headers
    )


def _is_fhir(path: str) -> bool:
    return path.startswith("/fhir")


def render(path: str, status: int, title: str, detail: str, **extra: Any) -> Response:
    """An error in the form the caller of `path` reads (also for middleware, before any route)."""
    if _is_fhir(path):
        code = ISSUE_CODE_BY_STATUS.get(status, "exception")
        return operation_outcome(status, [Issue(severity="error", code=code, diagnostics=detail)])
    return problem(status, title, detail, **extra)


def render_error(path: str, error: OvergangError) -> Response:
    if _is_fhir(path):
        return operation_outcome(
            error.status, [Issue(severity="error", code=error.issue_code, diagnostics=error.detail)]
        )
    return problem(error.status, error.title, error.detail)


def negotiated(request: Request, response: Response) -> Response:
    """On /fhir, the OperationOutcome in XML when `_format` or `Accept` ask for it (or the
    message was sent as XML)."""
    if not _is_fhir(request.url.path) or response.media_type != FHIR_JSON:
        return response
    default = format_of_content_type(request.headers.get("content-type", ""))
    if chosen_format(request, default=default) == "json":
        return response
    headers = {
        k: v for k, v in response.headers.items() if k.lower().startswith(("www-", "retry-"))
    }
    return fhir_response(
        bytes(response.body), "xml", status_code=response.status_code, headers=headers
    )


def negotiated_in(scope: Scope, response: Response) -> Response:
    """`negotiated` for middleware that answers before any route: the same JSON or XML choice."""
    return negotiated(Request(scope), response)


async def handle_overgang_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, OvergangError)
    return negotiated(request, render_error(request.url.path, error))


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"location": ".".join(str(part) for part in detail["loc"]), "message": detail["msg"]}
        for detail in error.errors()
    ]
    response = render(
        request.url.path,
        422,
        "Invalid request",
        "the request does not match its schema",
        errors=errors,
    )
    return negotiated(request, response)


async def handle_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    title = {
        404: "Not found",
        405: "Method not allowed",
        408: "Request timeout",
        413: "Content too large",
    }.get(error.status_code, "Request refused")
    return negotiated(
        request, render(request.url.path, error.status_code, title, str(error.detail))
    )


def database_unavailable(path: str, error: Exception) -> Response:
    # The database is restarting or unreachable: nothing was stored, so a retry is safe.
    logger.warning("database unavailable", extra={"error_type": type(error).__name__})
    response = render(
        path, 503, "Service unavailable", "the database is unavailable; retry shortly"
    )
    response.headers["Retry-After"] = "5"
    return response


async def handle_database_unavailable(request: Request, error: Exception) -> Response:
    return database_unavailable(request.url.path, error)


async def handle_unexpected_error(request: Request, error: Exception) -> Response:
    # Only the type: a message could carry personal data from the request.
    logger.error("unhandled error", extra={"error_type": type(error).__name__})
    return render(
        request.url.path, 500, "Internal error", "an unexpected error occurred; it has been logged"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OvergangError, handle_overgang_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    for database_error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(database_error, handle_database_unavailable)
    app.add_exception_handler(Exception, handle_unexpected_error)


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _outcome_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            FHIR_JSON: {"schema": {"type": "object"}},
            FHIR_XML: {"schema": {"type": "string"}},
        },
    }


PROBLEM_DESCRIPTIONS = {
    400: "Malformed request",
    401: "No or unknown bearer token",
    403: "The caller may not do this",
    404: "Unknown, or not the caller's",
    408: "The body arrived too slowly; nothing was stored",
    409: "Conflicts with what is stored",
    410: "Deleted on the retention schedule",
    413: "The body is larger than allowed; nothing was stored",
    422: "Invalid request or not acceptable",
    429: "This client made more requests than its rate limit; retry after Retry-After seconds",
    503: "The database is unavailable (or, when sending a message, too many are in "
    "progress); retry after Retry-After seconds",
}
OUTCOME_DESCRIPTIONS = {
    400: "Not a well-formed FHIR message Bundle (Acknowledgement fatal-error or OperationOutcome)",
    401: "No or unknown bearer token (OperationOutcome)",
    403: "The sender is not the calling hospital (Acknowledgement fatal-error)",
    408: "The body arrived too slowly (OperationOutcome); nothing was stored",
    409: "Bundle.id reused for another message (Acknowledgement fatal-error)",
    413: "The body is larger than allowed (OperationOutcome); nothing was stored",
    415: "Not application/fhir+json or application/fhir+xml (OperationOutcome)",
    422: "Valid FHIR that breaks a MedCom or Overgang rule (Acknowledgement fatal-error)",
    429: "This client made more requests than its rate limit (issue code throttled); "
    "nothing was stored, resend after Retry-After seconds",
    503: "The database is unavailable, or too many messages are in progress (issue code "
    "throttled); nothing was stored, resend after Retry-After seconds",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the problem+json errors a route can answer with."""
    # Any call can meet a database that is restarting.
    return {status: _problem_response(PROBLEM_DESCRIPTIONS[status]) for status in (*statuses, 503)}


def outcome_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: _outcome_response(OUTCOME_DESCRIPTIONS[status]) for status in (*statuses, 503)}


def documented_responses(path: str, *statuses: int) -> dict[str, dict[str, Any]]:
    """OpenAPI responses, keyed as in the document, in the form the caller of `path` reads."""
    if _is_fhir(path):
        return {str(status): _outcome_response(OUTCOME_DESCRIPTIONS[status]) for status in statuses}
    return {str(status): _problem_response(PROBLEM_DESCRIPTIONS[status]) for status in statuses}
