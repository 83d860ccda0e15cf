"""Front-end assets: scripts, styles and images the pages load, all from this server.

Third-party files come from the npm packages `make install` brings into `web/node_modules`
at the versions `web/package-lock.json` pins; our own live in `web/app/`. Each is served by
name at `/assets/<name>?v=<version>`: the version changes whenever an installed file can, so
a browser may keep an asset for a year. Nothing is loaded from a CDN.
"""

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter
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


@router.get(ASSETS_URL + "/{name}")
async def asset(name: str) -> FileResponse:
    found = ASSETS.get(name)
    if found is None or not found.file.is_file():
        raise NotFound(Text("Aset tidak ditemukan", "No such asset"), code="asset_not_found")
    return FileResponse(found.file, media_type=found.media_type,
                        headers={"Cache-Control": ASSET_CACHE})
