"""The API's documentation pages load everything from our own server, never from a CDN."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support import Api
from wapiz.web import apidocs, assets

PAGES = {"/api/docs": ("swagger-ui-bundle.js", "swagger-ui.css"),
         "/api/redoc": ("redoc.standalone.js",)}


class References(HTMLParser):
    """Every URL a page makes a browser load: scripts, styles, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "spec-url", "data-openapi-url"):
            if found.get(name):
                self.urls.append(found[name] or "")


def _references(page: str) -> list[str]:
    parser = References()
    parser.feed(page)
    return parser.urls


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_docs_page_and_all_it_loads_come_from_our_server(api: Api, path: str) -> None:
    page = api.http.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # Nothing off-host anywhere in the page, and the browser may load nothing from elsewhere.
    assert not re.search(r"(https?:)?//", page.text), page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    urls = _references(page.text)
    assert {Path(urlsplit(url).path).name for url in urls} >= set(PAGES[path])
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url
        loaded = api.http.get(url)
        assert loaded.status_code == 200, url
        assert loaded.content
        if url.startswith(assets.ASSETS_URL):
            assert "max-age=31536000" in loaded.headers["cache-control"], url
    bundle = next(url for url in urls if url.endswith(".js") or ".js?" in url)
    assert api.http.get(bundle).headers["content-type"].startswith("text/javascript")


def test_an_unknown_asset_is_404(api: Api) -> None:
    answer = api.http.get(f"{assets.ASSETS_URL}/../../pyproject.toml")
    assert answer.status_code == 404
    answer = api.http.get(f"{assets.ASSETS_URL}/package.json")
    assert answer.status_code == 404 and answer.json()["code"] == "asset_not_found"


@pytest.mark.parametrize("page", [apidocs.swagger_ui, apidocs.redoc])
async def test_without_the_assets_a_page_says_how_to_install_them(
    page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    """`make install` skipped: a page that says what to do, in both languages, not a blank
    one that waits for scripts that are not there."""
    missing = {name: assets.Asset(tmp_path / name, asset.media_type)
               for name, asset in assets.ASSETS.items()}
    monkeypatch.setattr(assets, "ASSETS", missing)
    answer = await page()
    text = answer.body.decode()
    assert answer.status_code == 503
    assert "make install" in text and "npm" in text
    assert "belum dipasang" in text and "not installed" in text
    assert "<script" not in text
