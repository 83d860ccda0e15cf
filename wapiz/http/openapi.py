"""The OpenAPI document: FastAPI's description of the routes, with what FastAPI cannot see
added (the token schemes, the 400/403/413 every body or cookie may meet) and its 422 body
replaced by ours."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from wapiz.accounts.deps import SAFE_METHODS, authenticates
from wapiz.http.error_handlers import api_routes
from wapiz.kit.cookies import TOKEN_COOKIE
from wapiz.kit.schemas import ValidationErrorBody

SECURITY_SCHEMES = {
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": TOKEN_COOKIE},
    "bearerAuth": {"type": "http", "scheme": "bearer"},
    "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
}


CROSS_SITE_RESPONSE = {
    "description": "A cross-site request with the cookie (code `cross_site_request`)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def _declare_token_auth(app: FastAPI, schema: dict[str, Any]) -> None:
    """Every operation whose route authenticates the caller takes the token (either scheme);
    one that changes something refuses the cookie from another site (403)."""
    schema["components"]["securitySchemes"] = SECURITY_SCHEMES
    for route in api_routes(app.routes):
        if authenticates(route.dependant):
            for method in route.methods or ():
                operation = schema["paths"][route.path_format][method.lower()]
                operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
                if method not in SAFE_METHODS:
                    operation["responses"].setdefault("403", CROSS_SITE_RESPONSE)


def _declare_body_limit(operation: dict[str, Any]) -> None:
    """Any body may be refused as too large (`wapiz.http.limits`)."""
    if "requestBody" in operation:
        operation["responses"].setdefault("413", {
            "description": "Request Entity Too Large",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        })


def _drop_impossible_422(operation: dict[str, Any]) -> None:
    """FastAPI lists 422 everywhere; an operation without a body or query can't answer it
    (its only parameters are string path segments, none of them bounded)."""
    parameters = operation.get("parameters", [])
    if "requestBody" not in operation and all(
            p["in"] == "path" and "maxLength" not in p.get("schema", {}) for p in parameters):
        operation["responses"].pop("422", None)


UNREADABLE_BODY = {
    "description": "The body cannot be read: not JSON (`invalid_json`), or a broken "
    "multipart body (`invalid_form`).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def _declare_unreadable_body(operation: dict[str, Any]) -> None:
    """Every operation that takes a body answers 400 when it cannot even be parsed."""
    if "requestBody" in operation:
        operation["responses"].setdefault("400", UNREADABLE_BODY)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's description, with our 422 body in place of its default one."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    ours = TypeAdapter(ValidationErrorBody).json_schema(ref_template="#/components/schemas/{model}")
    components.update(ours.pop("$defs", {}))
    components["HTTPValidationError"] = ours
    components.pop("ValidationError", None)
    for operations in schema["paths"].values():
        for operation in operations.values():
            _drop_impossible_422(operation)
            _declare_unreadable_body(operation)
            _declare_body_limit(operation)
    _declare_token_auth(app, schema)
    app.openapi_schema = schema
    return schema
