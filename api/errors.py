"""Cal.com's error envelope, and turning validation errors into messages that name the field."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    422: "BAD_REQUEST",
    429: "TOO_MANY_REQUESTS",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error the API answers with ``status`` and Cal.com's error envelope."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers
        self.code = code or CODES.get(status, "ERROR")


def envelope(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """Cal.com's error envelope as a response (also used directly by the ASGI middlewares)."""
    body = {"status": "error", "error": {"code": code or CODES.get(status, "ERROR"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def describe(errors: list[dict]) -> str:
    """'attendee.email: value is not a valid email address; start: …' — each problem with its field."""
    parts = []
    for error in errors:
        path = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        # Model-level checks name their field in the message themselves.
        parts.append(f"{'.'.join(path)}: {message}" if path else message)
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return envelope(error.status, error.message, error.code, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return envelope(400, describe(list(error.errors())))

    @app.exception_handler(ValidationError)
    async def _invalid_model(_request: Request, error: ValidationError) -> JSONResponse:
        return envelope(400, describe(error.errors()))

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, error: HTTPException) -> JSONResponse:
        return envelope(error.status_code, str(error.detail), headers=error.headers)
