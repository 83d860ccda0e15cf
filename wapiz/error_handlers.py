"""The one place that turns errors into responses.

Every error body is `{"error": "<message>"}`; validation errors add `details`.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wapiz.errors import VALIDATION_MESSAGE, WapizError


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
