"""The one place that turns errors into responses.

Every error body is `{"error": <words>, "code": <stable code>}`, plus `details` where there
are some (validation). The words are in the request's language (`Accept-Language`;
Indonesian by default). The seed's own answers stay to the byte (see `WapizError.seed_exact`).
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wapiz.errors import VALIDATION_FAILED, WapizError
from wapiz.text import Language, Text, preferred_language

NOT_FOUND = Text("Tidak ditemukan", "Not found")
METHOD_NOT_ALLOWED = Text("Metode tidak diizinkan", "Method not allowed")
HTTP_ERRORS = {404: ("not_found", NOT_FOUND), 405: ("method_not_allowed", METHOD_NOT_ALLOWED)}


def request_language(request: Request) -> Language:
    return preferred_language(request.headers.get("accept-language"))


def error_body(exc: WapizError, language: Language) -> dict[str, Any]:
    if exc.seed_exact:
        return {"error": exc.text.id}
    body: dict[str, Any] = {"error": exc.text(language), "code": exc.code}
    if exc.details is not None:
        body["details"] = exc.details
    return body


def error_response(exc: WapizError, language: Language) -> JSONResponse:
    return JSONResponse(error_body(exc, language), status_code=exc.status_code,
                        headers=exc.headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Keep what tells the client what to fix; drop pydantic's URLs and echoed input objects.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _wapiz_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WapizError)
    return error_response(exc, request_language(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = WapizError(VALIDATION_FAILED, code="validation_failed",
                       details=_validation_details(exc))
    error.status_code = 422
    return error_response(error, request_language(request))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, text = HTTP_ERRORS.get(exc.status_code, ("http_error", None))
    error = WapizError(text or Text(str(exc.detail), str(exc.detail)), code=code,
                       headers=dict(exc.headers or {}))
    error.status_code = exc.status_code
    return error_response(error, request_language(request))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback; the client gets the same shape as every other error.
    return error_response(WapizError(), request_language(request))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(WapizError, _wapiz_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
