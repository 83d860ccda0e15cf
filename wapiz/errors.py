"""One error base for the whole gateway, and the one place that turns errors into responses.

Services raise `WapizError` subclasses; nothing else builds error bodies. Every error body is
`{"error": "<message>"}`; validation errors add `details`.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class WapizError(Exception):
    status_code = 500
    message = "Terjadi kesalahan pada server"

    def __init__(self, message: str | None = None, headers: dict[str, str] | None = None):
        self.message = message or self.message
        self.headers = headers
        super().__init__(self.message)


class BadRequest(WapizError):
    status_code = 400
    message = "Permintaan tidak valid"


class Unauthorized(WapizError):
    status_code = 401
    message = "Unauthorized"  # the seed's exact text


class Forbidden(WapizError):
    status_code = 403
    message = "Forbidden"


class NotFound(WapizError):
    status_code = 404
    message = "Tidak ditemukan"


class Conflict(WapizError):
    status_code = 409
    message = "Konflik"


class TooManyRequests(WapizError):
    status_code = 429
    message = "Terlalu banyak permintaan"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(WapizError):
    status_code = 503
    message = "Layanan belum tersedia"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


VALIDATION_MESSAGE = "Data tidak valid"


def error_response(status_code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status_code)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Keep what tells the client what to fix; drop pydantic's URLs and echoed input objects.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _wapiz_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WapizError)
    response = error_response(exc.status_code, exc.message)
    response.headers.update(exc.headers or {})
    return response


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, VALIDATION_MESSAGE, details=_validation_details(exc))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "Tidak ditemukan", 405: "Metode tidak diizinkan"}
    response = error_response(exc.status_code, messages.get(exc.status_code, str(exc.detail)))
    response.headers.update(exc.headers or {})
    return response


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback; the client gets the same shape as every other error.
    return error_response(500, WapizError.message)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(WapizError, _wapiz_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
