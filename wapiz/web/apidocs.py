"""The API's documentation pages: Swagger UI at /api/docs and ReDoc at /api/redoc.

Their scripts and styles come from the web front end's packages (`web/`, installed from the
npm registry by `make install` at the versions its lock file pins) and are served from here,
never from a CDN: the pages work offline, and their Content-Security-Policy lets them load
nothing from another host. Without those packages (the install skipped) the pages say how to
install them instead of staying blank.
"""

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from wapiz.kit.text import Text
from wapiz.web.assets import asset_url, installed

OPENAPI_URL = "/api/openapi.json"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SWAGGER = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-init.js")
REDOC = ("redoc.standalone.js",)

MISSING = Text(
    "Aset dokumentasi API belum dipasang. Jalankan <code>make install</code> di folder WAPIZ "
    "(perlu Node.js dan npm: <code>apt-get install -y nodejs npm</code>), lalu muat ulang "
    "halaman ini. Deskripsi API tetap tersedia di <a href=\"{openapi}\">{openapi}</a>.",
    "The API documentation's assets are not installed. Run <code>make install</code> in the "
    "WAPIZ folder (it needs Node.js and npm: <code>apt-get install -y nodejs npm</code>), then "
    "reload this page. The API description is still at <a href=\"{openapi}\">{openapi}</a>.",
).format(openapi=OPENAPI_URL)

router = APIRouter(include_in_schema=False)


def _page(title: str, head: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!DOCTYPE html>\n"
        f'<html lang="id"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}</head><body>{body}</body></html>\n",
        status_code=status_code,
        headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"},
    )


def _not_installed(title: str) -> HTMLResponse:
    return _page(title, "", f'<p lang="id">{MISSING.id}</p><p lang="en">{MISSING.en}</p>',
                 status_code=503)


@router.get("/api/docs")
async def swagger_ui() -> HTMLResponse:
    title = "WAPIZ API — Swagger UI"
    if not installed(*SWAGGER):
        return _not_installed(title)
    return _page(
        title,
        f'<link rel="stylesheet" href="{asset_url("swagger-ui.css")}">',
        f'<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>'
        f'<script src="{asset_url("swagger-ui-bundle.js")}"></script>'
        f'<script src="{asset_url("swagger-init.js")}"></script>',
    )


@router.get("/api/redoc")
async def redoc() -> HTMLResponse:
    title = "WAPIZ API — ReDoc"
    if not installed(*REDOC):
        return _not_installed(title)
    # ReDoc's standalone script renders every <redoc spec-url> element by itself.
    return _page(title, "", f'<redoc spec-url="{OPENAPI_URL}"></redoc>'
                 f'<script src="{asset_url("redoc.standalone.js")}"></script>')
