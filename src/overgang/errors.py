"""The errors a use case can end in. The API renders each as problem+json on /api and as an
OperationOutcome on /fhir, with the status below; messages never carry CPR numbers or clinical text.

    OvergangError
    ├── Unauthenticated   401  no or unknown bearer token
    ├── Forbidden         403  authenticated, but not allowed (a hospital sending as another)
    ├── NotFound          404  unknown, or belongs to someone else (never tell which)
    ├── Conflict          409  clashes with what is stored (an id reused for other content)
    ├── Gone              410  was there, deleted on the retention schedule
    ├── Unprocessable     422  well-formed but not acceptable (an unregistered receiver)
    └── OAuthError        400/401  a refused token request, answered as RFC 6749 §5.2 says
"""

from __future__ import annotations


class OvergangError(Exception):
    status = 500
    title = "Internal error"
    issue_code = "exception"  # FHIR issue-type for the OperationOutcome form

    def __init__(self, detail: str, *, subject: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # What the error is about, in domain words ("sender", "receiver", "bundle-id",
        # "episode-identifier"); each transport names the element its own way.
        self.subject = subject


class Unauthenticated(OvergangError):
    status = 401
    title = "Authentication required"
    issue_code = "login"


class Forbidden(OvergangError):
    status = 403
    title = "Not allowed"
    issue_code = "forbidden"


class NotFound(OvergangError):
    status = 404
    title = "Not found"
    issue_code = "not-found"


class Conflict(OvergangError):
    status = 409
    title = "Conflict"
    issue_code = "conflict"


class Gone(OvergangError):
    status = 410
    title = "Gone"
    issue_code = "deleted"


class Unprocessable(OvergangError):
    status = 422
    title = "Not acceptable"
    issue_code = "business-rule"


class OAuthError(OvergangError):
    """A token request refused with an RFC 6749 §5.2 error code (`invalid_client`, ...)."""

    title = "Token request refused"
    issue_code = "security"

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        # invalid_client is 401 (the client did not authenticate); every other code is 400.
        self.status = 401 if error == "invalid_client" else 400
