"""The HTTP API application (and the webhook dispatcher and broker outputs that run beside
it)."""

import asyncio
import gc
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, params
from fastapi.middleware.cors import CORSMiddleware

from wapiz import __version__
from wapiz.accounts.router import router as auth_router
from wapiz.accounts.security import PasswordHashing
from wapiz.accounts.throttle import Throttle
from wapiz.admin.router import router as admin_router
from wapiz.calls.router import router as calls_router
from wapiz.chats.router import router as chats_router
from wapiz.cluster.models import NodeRole
from wapiz.cluster.nodes import Heartbeat, NodeCard, beat_forever
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.devices.router import router as devices_router
from wapiz.events.feed import Feed, FeedEvent
from wapiz.events.router import router as events_router
from wapiz.groups.router import router as groups_router
from wapiz.http.error_handlers import api_routes, install_error_handlers
from wapiz.http.limits import BodyLimit, RouteBodyLimit
from wapiz.http.metrics import ApiMetrics
from wapiz.http.metrics import router as metrics_router
from wapiz.http.openapi import openapi_document
from wapiz.keys.router import router as keys_router
from wapiz.kit.cache import TTLCache
from wapiz.kit.identity import process_identity
from wapiz.kit.metrics import ChildMetrics, start_metrics
from wapiz.labels.router import router as labels_router
from wapiz.messages.accept import DEVICE_IDS_CACHE_S
from wapiz.messages.intake import Intake
from wapiz.messages.media import base64_length
from wapiz.messages.router import router as messages_router
from wapiz.messages.schemas import MessageContent
from wapiz.messages.store import media_store_for
from wapiz.overview.router import router as overview_router
from wapiz.people.router import router as people_router
from wapiz.presence.router import router as presence_router
from wapiz.stories.router import router as stories_router
from wapiz.web.apidocs import router as apidocs_router
from wapiz.web.assets import router as assets_router
from wapiz.web.docs import router as docs_router
from wapiz.web.router import router as web_router
from wapiz.webhooks.events import DEVICE_STATUS
from wapiz.webhooks.router import account_router as account_webhook_router
from wapiz.webhooks.router import router as webhooks_router
from wapiz.workers.dispatcher.dispatcher import Dispatcher
from wapiz.workers.outputs.worker import Outputs

log = logging.getLogger(__name__)

DESCRIPTION = """\
Self-hostable, multi-tenant WhatsApp API gateway.

Authenticate with the `wa_token` cookie set by register/login, or send the same token as
`Authorization: Bearer <token>`; an API key (`POST /api/keys`) as `Authorization: Bearer
<key>` or `X-Api-Key: <key>`. A call that changes something with the cookie from another
site's page (its `Origin` or `Sec-Fetch-Site`) is refused: 403 `cross_site_request`.
Errors are `{"error": "<message>", "code": "<stable code>"}`, in Indonesian (or English
with `Accept-Language: en`); validation errors (422) add `details`. A body that cannot be
parsed is a 400 (`invalid_json`, `invalid_form`).
"""


def _log_if_stopped(task: asyncio.Task[None]) -> None:
    """The dispatcher, the event feed and the outputs run until the process stops: anything
    else is an error to see."""
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped; this process no longer does its work", task.get_name(),
                  exc_info=task.exception())


def create_app(settings: Settings, runner_metrics: ChildMetrics | None = None) -> FastAPI:
    """The app; `runner_metrics`: where the runners `serve` supervises write theirs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings, "wapiz-api")
        app.state.metrics.start(app.state.database)
        listener = None
        if settings.metrics_port is not None:
            token = settings.metrics_token
            listener = await start_metrics(
                settings.metrics_host, settings.metrics_port,
                token.get_secret_value() if token else None, app.state.metrics.render)
        app.state.throttle = Throttle(app.state.database, settings)
        app.state.intake = Intake(app.state.database)
        # Webhooks are delivered, and events published to the operator's brokers, from the
        # API processes, away from the WhatsApp sessions.
        name = process_identity(f"api@{socket.gethostname()}")
        dispatcher = Dispatcher(settings, app.state.database, name)
        delivering = asyncio.create_task(dispatcher.run(), name="webhook-dispatcher")
        delivering.add_done_callback(_log_if_stopped)
        # One reader of new events for every stream this process serves.
        statuses = app.state.status_cache

        def heard(event: FeedEvent) -> None:
            # A client told of a device's new status asks for it at once: the status cache
            # must not answer from before it.
            if event.type == DEVICE_STATUS:
                statuses.evict((event.user_id, event.device_id))

        app.state.feed = Feed(app.state.database, heard)
        feeding = asyncio.create_task(app.state.feed.run(), name="event-feed")
        feeding.add_done_callback(_log_if_stopped)
        publishing = asyncio.create_task(Outputs(settings, app.state.database, name).run(),
                                         name="event-outputs")
        publishing.add_done_callback(_log_if_stopped)
        # Seen in `nodes` (wapiz cluster status), beating as often as a runner renews.
        beating = asyncio.create_task(
            beat_forever(app.state.database, Heartbeat(NodeCard(name, NodeRole.API)),
                         settings.lease_ttl_seconds / 3), name="node-heartbeat")
        beating.add_done_callback(_log_if_stopped)
        # Everything built so far lives as long as the process: keep it out of the garbage
        # collector's scans, which otherwise grow with every imported module.
        gc.freeze()
        try:
            yield
        finally:
            delivering.cancel()
            feeding.cancel()
            publishing.cancel()
            beating.cancel()
            await asyncio.gather(delivering, feeding, publishing, beating,
                                 return_exceptions=True)
            if listener is not None:
                listener.close()
            await app.state.media_store.close()
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
    app.state.device_ids = TTLCache(DEVICE_IDS_CACHE_S)
    app.state.media_store = media_store_for(settings)
    app.state.passwords = PasswordHashing(settings.password_hash_slots)
    app.state.metrics = ApiMetrics(settings, runner_metrics)
    install_error_handlers(app)
    if settings.cors_origins:
        # Only the listed origins, each by name (never `*`), may read answers with the cookie.
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-Api-Key", "Content-Type", "Idempotency-Key",
                           "Accept-Language"],
            expose_headers=["Retry-After", "Content-Disposition"], max_age=600)
    app.include_router(devices_router)  # first: its status route is the most polled
    app.include_router(auth_router)
    app.include_router(messages_router)
    app.include_router(webhooks_router)
    app.include_router(account_webhook_router)
    app.include_router(stories_router)
    app.include_router(labels_router)
    app.include_router(keys_router)
    app.include_router(admin_router)
    app.include_router(overview_router)
    app.include_router(groups_router)
    app.include_router(events_router)
    app.include_router(people_router)
    app.include_router(presence_router)
    app.include_router(calls_router)
    app.include_router(chats_router)
    app.include_router(apidocs_router)
    app.include_router(assets_router)
    app.include_router(web_router)
    app.include_router(docs_router)
    app.include_router(metrics_router)
    if settings.engine == "sandbox":  # the simulated phone, only beside the simulated network
        from wapiz.sandbox.router import pictures_router
        from wapiz.sandbox.router import router as sandbox_router

        app.include_router(sandbox_router)
        app.include_router(pictures_router)

    @app.get("/api/health", tags=["meta"], summary="Liveness of the API process")
    async def health() -> dict[str, str]:
        return {"status": "ok", "engine": settings.engine}

    app.add_middleware(BodyLimit, default=settings.max_body_bytes,
                       routes=_file_body_limits(app, settings))
    # FastAPI's way to supply the document is to replace the method on the instance.
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


def _file_body_limits(app: FastAPI, settings: Settings) -> list[RouteBodyLimit]:
    """Bodies that may carry a file may be that file larger than the default: an upload by
    `WAPIZ_MEDIA_MAX_BYTES`, JSON by its base64 (a third more)."""
    limits = []
    for route in api_routes(app.routes):
        body = route.body_field
        model = body.field_info.annotation if body is not None else None
        if not (isinstance(model, type) and issubclass(model, MessageContent)):
            continue
        assert body is not None
        uploaded = isinstance(body.field_info, params.Form)
        file_bytes = settings.media_max_bytes if uploaded else base64_length(
            settings.media_max_bytes)
        limits += [RouteBodyLimit(method, route.path_regex, settings.max_body_bytes + file_bytes)
                   for method in route.methods or ()]
    return limits
