"""The API's documentation pages: Swagger UI at /api/docs and ReDoc at /api/redoc.

Their scripts and styles come from the web front end's packages (`web/`, installed from the
npm registry by `make install` at the versions its lock file pins) and are served from here,
never from a CDN: the pages work offline, and their Content-Security-Policy lets them load
nothing from another host. Without those packages (the install skipped) the pages say how to
install them instead of staying blank.
"""

import hashlib
import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from wapiz.kit.errors import NotFound
from wapiz.kit.text import Text

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
NODE_MODULES = WEB_DIR / "node_modules"
ASSETS_URL = "/api/docs/assets"
OPENAPI_URL = "/api/openapi.json"
# An asset's URL carries the installed versions (`?v=`), so it may be cached for a year.
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Asset:
    file: Path
    media_type: str


ASSETS = {
    "swagger-ui.css": Asset(NODE_MODULES / "swagger-ui-dist" / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": Asset(NODE_MODULES / "swagger-ui-dist" / "swagger-ui-bundle.js",
                                  "text/javascript"),
    "redoc.standalone.js": Asset(NODE_MODULES / "redoc" / "bundles" / "redoc.standalone.js",
                                 "text/javascript"),
    "swagger-init.js": Asset(WEB_DIR / "docs" / "swagger-init.js", "text/javascript"),
}

MISSING = Text(
    "Aset dokumentasi API belum dipasang. Jalankan <code>make install</code> di folder WAPIZ "
    "(perlu Node.js dan npm: <code>apt-get install -y nodejs npm</code>), lalu muat ulang "
    "halaman ini. Deskripsi API tetap tersedia di <a href=\"{openapi}\">{openapi}</a>.",
    "The API documentation's assets are not installed. Run <code>make install</code> in the "
    "WAPIZ folder (it needs Node.js and npm: <code>apt-get install -y nodejs npm</code>), then "
    "reload this page. The API description is still at <a href=\"{openapi}\">{openapi}</a>.",
).format(openapi=OPENAPI_URL)

router = APIRouter(include_in_schema=False)


def installed() -> bool:
    return all(asset.file.is_file() for asset in ASSETS.values())


@cache
def _version() -> str:
    """What the asset URLs carry: changes whenever an installed file does."""
    digest = hashlib.sha256()
    for source in (WEB_DIR / "package-lock.json", ASSETS["swagger-init.js"].file):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def _asset_url(name: str) -> str:
    return f"{ASSETS_URL}/{name}?v={_version()}"


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
    if not installed():
        return _not_installed(title)
    return _page(
        title,
        f'<link rel="stylesheet" href="{_asset_url("swagger-ui.css")}">',
        f'<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>'
        f'<script src="{_asset_url("swagger-ui-bundle.js")}"></script>'
        f'<script src="{_asset_url("swagger-init.js")}"></script>',
    )


@router.get("/api/redoc")
async def redoc() -> HTMLResponse:
    title = "WAPIZ API — ReDoc"
    if not installed():
        return _not_installed(title)
    # ReDoc's standalone script renders every <redoc spec-url> element by itself.
    return _page(title, "", f'<redoc spec-url="{OPENAPI_URL}"></redoc>'
                 f'<script src="{_asset_url("redoc.standalone.js")}"></script>')


@router.get(ASSETS_URL + "/{name}")
async def asset(name: str) -> FileResponse:
    found = ASSETS.get(name)
    if found is None or not found.file.is_file():
        raise NotFound(Text("Aset dokumentasi tidak ditemukan",
                            "No such documentation asset"), code="docs_asset_not_found")
    return FileResponse(found.file, media_type=found.media_type,
                        headers={"Cache-Control": ASSET_CACHE})
