"""The one place that turns errors into responses.

Every error body is `{"error": <words>, "code": <stable code>}`, plus `details` where there
are some (validation). The words are in the request's language (`Accept-Language`;
Indonesian by default). The seed's own answers stay to the byte (see `WapizError.seed_exact`).
"""

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute

from wapiz.kit import validation
from wapiz.kit.errors import BadRequest, InvalidInput, WapizError
from wapiz.kit.text import Language, Text, preferred_language

NOT_FOUND = Text("Tidak ditemukan", "Not found")
METHOD_NOT_ALLOWED = Text("Metode tidak diizinkan", "Method not allowed")
HTTP_ERRORS = {404: ("not_found", NOT_FOUND), 405: ("method_not_allowed", METHOD_NOT_ALLOWED)}
INVALID_JSON = Text("Body bukan JSON yang valid", "The body is not valid JSON")
INVALID_FORM = Text("Body bukan multipart/form-data yang valid",
                    "The body is not valid multipart/form-data")


def request_language(request: HTTPConnection) -> Language:
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


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, those of included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router as one entry; ours carry their prefix themselves.
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods of the path template a URL is routed to (the first that matches, as in
    routing), across all its routes: what the OpenAPI description lists for it."""
    routes = list(api_routes(app.routes))
    template = next((r.path_format for r in routes if r.path_regex.match(path)), None)
    methods = {m for r in routes if r.path_format == template for m in r.methods or ()}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _body_unreadable(request: Request) -> BadRequest:
    """A body that could not be parsed at all: it never reached validation."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        return BadRequest(INVALID_FORM, code="invalid_form")
    return BadRequest(INVALID_JSON, code="invalid_json")


async def _wapiz_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WapizError)
    return error_response(exc, request_language(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = request_language(request)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(_body_unreadable(request), language)
    return error_response(invalid_input(errors, language), language)


def invalid_input(errors: list[dict[str, Any]], language: Language) -> InvalidInput:
    """A 422 `validation_failed` for pydantic's errors, each worded in the language."""
    return InvalidInput(validation.summary(errors), code="validation_failed",
                        details=validation.details(errors, language))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # Only FastAPI and Starlette raise these (ours are WapizErrors): "There was an error
        # parsing the body" (bytes that are not UTF-8, a broken multipart body).
        return error_response(_body_unreadable(request), request_language(request))
    code, text = HTTP_ERRORS.get(exc.status_code, ("http_error", None))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names the methods of the one route it tried; a path has several.
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
    error = WapizError(text or Text(str(exc.detail), str(exc.detail)), code=code,
                       headers=headers)
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
