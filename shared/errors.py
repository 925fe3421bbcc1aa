"""Domain errors and the one JSON error shape (`code`, `status`, `message`, `errors`)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of errors a use case raises; views never build error responses themselves."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def error_body(
    status: int, message: str, errors: dict[str, Any] | None = None, code: str | None = None
) -> dict[str, Any]:
    """The single error document every API of the suite returns."""
    return {
        "code": code or CODES_BY_STATUS.get(status, "error"),
        "status": status,
        "message": message,
        "errors": errors or {},
    }
