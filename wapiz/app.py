"""The HTTP API application (and the webhook dispatcher that runs beside it)."""

import asyncio
import gc
import logging
import socket
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.routing import BaseRoute

from wapiz import __version__
from wapiz.accounts.deps import TOKEN_COOKIE, authenticate
from wapiz.accounts.router import router as auth_router
from wapiz.apidocs import router as docs_router
from wapiz.cache import TTLCache
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.devices.router import router as devices_router
from wapiz.engines import engine_router
from wapiz.error_handlers import install_error_handlers
from wapiz.identity import process_identity
from wapiz.messages.accept import DEVICE_REF_CACHE_S
from wapiz.messages.intake import Intake
from wapiz.messages.router import router as messages_router
from wapiz.schemas import ValidationErrorBody
from wapiz.webhooks.dispatcher import Dispatcher
from wapiz.webhooks.router import router as webhooks_router

log = logging.getLogger(__name__)

DESCRIPTION = """\
Self-hostable, multi-tenant WhatsApp API gateway.

Authenticate with the `wa_token` cookie set by register/login, or send the same token as
`Authorization: Bearer <token>`. Errors are `{"error": "<message>"}`; validation errors
(422) add `details`.
"""


def _log_if_stopped(task: asyncio.Task[None]) -> None:
    """The dispatcher runs until the process stops: anything else is an error to see."""
    if not task.cancelled() and task.exception() is not None:
        log.error("webhooks: the dispatcher stopped; no webhooks are delivered by this "
                  "process", exc_info=task.exception())


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings, "wapiz-api")
        app.state.intake = Intake(app.state.database)
        # Webhooks are delivered from the API processes, away from the WhatsApp sessions.
        dispatcher = Dispatcher(settings, app.state.database,
                                process_identity(f"api@{socket.gethostname()}"))
        delivering = asyncio.create_task(dispatcher.run(), name="webhook-dispatcher")
        delivering.add_done_callback(_log_if_stopped)
        # Everything built so far lives as long as the process: keep it out of the garbage
        # collector's scans, which otherwise grow with every imported module.
        gc.freeze()
        try:
            yield
        finally:
            delivering.cancel()
            await asyncio.gather(delivering, return_exceptions=True)
            await app.state.database.dispose()

    settings.secret  # noqa: B018 - create the data dir's secret now, not on the first login
    app = FastAPI(
        title="WAPIZ",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        # Swagger UI and ReDoc are served from installed packages, not FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # FastAPI's OpenTelemetry hooks: WAPIZ configures no provider, and asking on every
        # request whether one appeared costs the hottest routes a few per cent.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.principal_cache = TTLCache(settings.auth_cache_seconds)
    app.state.status_cache = TTLCache(settings.status_cache_seconds)
    app.state.device_refs = TTLCache(DEVICE_REF_CACHE_S)
    install_error_handlers(app)
    app.include_router(devices_router)  # first: its status route is the most polled
    app.include_router(auth_router)
    app.include_router(messages_router)
    app.include_router(webhooks_router)
    app.include_router(docs_router)
    extra = engine_router(settings)
    if extra is not None:
        app.include_router(extra)

    @app.get("/api/health", tags=["meta"], summary="Liveness of the API process")
    async def health() -> dict[str, str]:
        return {"status": "ok", "engine": settings.engine}

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


SECURITY_SCHEMES = {
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": TOKEN_COOKIE},
    "bearerAuth": {"type": "http", "scheme": "bearer"},
}


def _authenticates(dependant: Dependant) -> bool:
    return any(
        dependency.call is authenticate or _authenticates(dependency)
        for dependency in dependant.dependencies
    )


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router as one entry; ours carry their prefix themselves.
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _declare_token_auth(app: FastAPI, schema: dict[str, Any]) -> None:
    """Every operation whose route authenticates the caller takes the token (either scheme)."""
    schema["components"]["securitySchemes"] = SECURITY_SCHEMES
    for route in _api_routes(app.routes):
        if _authenticates(route.dependant):
            for method in route.methods:
                operation = schema["paths"][route.path_format][method.lower()]
                operation["security"] = [{name: []} for name in SECURITY_SCHEMES]


def _drop_impossible_422(operation: dict[str, Any]) -> None:
    """FastAPI lists 422 everywhere; an operation without a body or query can't answer it
    (its only parameters are string path segments)."""
    parameters = operation.get("parameters", [])
    if "requestBody" not in operation and all(p["in"] == "path" for p in parameters):
        operation["responses"].pop("422", None)


def _openapi(app: FastAPI) -> dict[str, Any]:
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
    _declare_token_auth(app, schema)
    app.openapi_schema = schema
    return schema
