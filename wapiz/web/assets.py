"""Front-end assets: scripts, styles and images the pages load, all from this server.

Third-party files come from the npm packages `make install` brings into `web/node_modules`
at the versions `web/package-lock.json` pins; our own live in `web/app/`. Each is served by
name at `/assets/<name>?v=<version>`: the version changes whenever an installed file can, so
a browser may keep an asset for a year. Nothing is loaded from a CDN.
"""

import asyncio
import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from wapiz.kit.errors import NotFound
from wapiz.kit.text import Text

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
NODE_MODULES = WEB_DIR / "node_modules"
OWN = WEB_DIR / "app"
ASSETS_URL = "/assets"
# An asset's URL carries the installed versions (`?v=`), so it may be cached for a year.
ASSET_CACHE = "public, max-age=31536000, immutable"

JS = "text/javascript"
CSS = "text/css"


@dataclass(frozen=True)
class Asset:
    file: Path
    media_type: str


ASSETS: dict[str, Asset] = {
    # The API documentation pages (apidocs.py).
    "swagger-ui.css": Asset(NODE_MODULES / "swagger-ui-dist" / "swagger-ui.css", CSS),
    "swagger-ui-bundle.js": Asset(NODE_MODULES / "swagger-ui-dist" / "swagger-ui-bundle.js", JS),
    "redoc.standalone.js": Asset(NODE_MODULES / "redoc" / "bundles" / "redoc.standalone.js", JS),
    "swagger-init.js": Asset(OWN / "swagger-init.js", JS),
    # The web app and the docs site: Alpine.js's build that needs no `eval` (the pages' policy
    # allows no inline script), Pico CSS, uPlot for the charts.
    "alpine.js": Asset(NODE_MODULES / "@alpinejs" / "csp" / "dist" / "cdn.min.js", JS),
    "pico.css": Asset(NODE_MODULES / "@picocss" / "pico" / "css" / "pico.min.css", CSS),
    "uplot.js": Asset(NODE_MODULES / "uplot" / "dist" / "uPlot.iife.min.js", JS),
    "uplot.css": Asset(NODE_MODULES / "uplot" / "dist" / "uPlot.min.css", CSS),
    "wapiz.css": Asset(OWN / "wapiz.css", CSS),
    "app.js": Asset(OWN / "app.js", JS),
}

router = APIRouter(include_in_schema=False)


def installed(*names: str) -> bool:
    return all(ASSETS[name].file.is_file() for name in names)


@cache
def _version() -> str:
    """What the asset URLs carry: changes whenever an installed or own file does."""
    digest = hashlib.sha256((WEB_DIR / "package-lock.json").read_bytes())
    for own in sorted(OWN.iterdir()):
        if own.is_file():
            digest.update(own.name.encode() + b"\0" + own.read_bytes())
    return digest.hexdigest()[:12]


def asset_url(name: str) -> str:
    if name not in ASSETS:
        raise KeyError(name)  # a page naming an asset this table lacks is a programming error
    return f"{ASSETS_URL}/{name}?v={_version()}"


@cache
def _gzipped(name: str) -> bytes:
    """An asset compressed once per process (the set is fixed and small: a few MB at most)."""
    return gzip.compress(ASSETS[name].file.read_bytes(), compresslevel=9, mtime=0)


def _accepts_gzip(request: Request) -> bool:
    for coding in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


@router.get(ASSETS_URL + "/{name}")
async def asset(name: str, request: Request) -> Response:
    found = ASSETS.get(name)
    if found is None or not found.file.is_file():
        raise NotFound(Text("Aset tidak ditemukan", "No such asset"), code="asset_not_found")
    headers = {"Cache-Control": ASSET_CACHE, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    if _accepts_gzip(request):
        # Compressing the largest (Swagger UI's bundle) takes a moment: off the event loop.
        body = await asyncio.to_thread(_gzipped, name)
        return Response(body, media_type=found.media_type,
                        headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(found.file, media_type=found.media_type, headers=headers)
