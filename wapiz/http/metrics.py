"""`GET /metrics`: an API process's metrics for Prometheus, and under `wapiz serve` its
runners' too (kit/metrics.py says where each kind lives).

Served on the API's port only with `WAPIZ_METRICS_TOKEN`, as a bearer token: that port is
the one a load balancer exposes, and device counts, queue sizes and login failures are
nobody else's business. Without a token the route is a 404, as if it did not exist.
`WAPIZ_METRICS_PORT` serves the same text on a listener of its own (loopback by default).
"""

import asyncio

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from wapiz.admin.metrics import ClusterGauges
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.kit.errors import NotFound, Unauthorized
from wapiz.kit.metrics import CONTENT_TYPE, ChildMetrics, bearer_allows
from wapiz.kit.schemas import error_responses
from wapiz.kit.text import Text

router = APIRouter(tags=["meta"])

TOKEN_REQUIRED = Text("Token metrics salah atau tidak ada (Authorization: Bearer <token>)",
                      "Wrong or missing metrics token (Authorization: Bearer <token>)")
EXAMPLE = """\
# HELP wapiz_devices Devices (not deleted) by the status the API reports.
# TYPE wapiz_devices gauge
wapiz_devices{status="logged_in"} 12.0
wapiz_devices{status="connected"} 1.0
wapiz_devices{status="disconnected"} 2.0
# HELP wapiz_send_queue_oldest_age_seconds How long the oldest due message has waited ...
# TYPE wapiz_send_queue_oldest_age_seconds gauge
wapiz_send_queue_oldest_age_seconds 0.4
"""


class ApiMetrics:
    """What an API process exports: its own metrics (the default registry), the deployment's
    figures read from the database, and the runners it supervises (`serve`)."""

    def __init__(self, settings: Settings, runners: ChildMetrics | None) -> None:
        self.cluster = ClusterGauges(settings)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.cluster)
        self.runners = runners

    def start(self, database: Database) -> None:
        self.cluster.database = database

    async def render(self) -> bytes:
        await self.cluster.refresh()
        text = generate_latest(REGISTRY) + generate_latest(self.registry)
        if self.runners is not None:
            text += await asyncio.to_thread(self.runners.text)  # files: off the event loop
        return text


@router.get(
    "/metrics", summary="Metrics for Prometheus",
    description="The process's metrics in Prometheus's text format (docs/metrics.md). Served "
    "only when the server has `WAPIZ_METRICS_TOKEN`, to `Authorization: Bearer <that "
    "token>` (not a user's token or API key); otherwise 404.",
    responses={200: {"description": "The Prometheus text exposition format.",
                     "content": {"text/plain": {"example": EXAMPLE}}},
               **error_responses(401, 404)},
    response_class=Response)
async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if settings.metrics_token is None:
        raise NotFound()
    if not bearer_allows(request.headers.get("authorization"),
                         settings.metrics_token.get_secret_value()):
        raise Unauthorized(TOKEN_REQUIRED, code="metrics_token_required")
    exported: ApiMetrics = request.app.state.metrics
    return Response(await exported.render(), media_type=CONTENT_TYPE)
