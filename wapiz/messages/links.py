"""A text's link preview (`linkPreview: true`): the first http(s) link in the text, and the
title and description of the page it names, fetched when the send is accepted (as a
`mediaUrl` is) through the outbound client (kit/net.py: public addresses only, checked at
every connection, redirects included), reading at most PAGE_BYTES within PAGE_SECONDS.
A preview is best effort: a page that cannot be read leaves the link without title and
description, and the text is sent all the same."""

import asyncio
import re
from html.parser import HTMLParser

import httpx

from wapiz.config import Settings
from wapiz.engines.content import LinkPreview
from wapiz.kit.net import outbound_client

LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
PAGE_BYTES = 256 * 1024  # the head of a page says what a preview needs
PAGE_SECONDS = 5.0
MAX_REDIRECTS = 5
TITLE_CHARS = 256
DESCRIPTION_CHARS = 1024


def first_link(text: str | None) -> str | None:
    """The first http(s) link in the text, without the punctuation that ends a sentence."""
    found = LINK.search(text or "")
    return found.group(0).rstrip(".,;:!?)]}") if found else None


class _Head(HTMLParser):
    """The page's title and description: Open Graph's first, then <title> and the
    description meta tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            named = dict(attrs)
            key = (named.get("property") or named.get("name") or "").lower()
            if key and named.get("content") and key not in self.meta:
                self.meta[key] = named["content"] or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _clean(value: str | None, limit: int) -> str | None:
    words = " ".join((value or "").replace("\x00", "").split())
    return words[:limit] or None


def parse(url: str, html: str) -> LinkPreview:
    head = _Head()
    head.feed(html)
    return LinkPreview(
        url,
        _clean(head.meta.get("og:title") or head.meta.get("twitter:title") or head.title,
               TITLE_CHARS),
        _clean(head.meta.get("og:description") or head.meta.get("description"),
               DESCRIPTION_CHARS))


async def preview(url: str, settings: Settings) -> LinkPreview:
    """The link's preview; only the URL when the page cannot be read (refused, too slow,
    not HTML, not 200)."""
    client = outbound_client(settings.media_allow_private,
                             httpx.Timeout(PAGE_SECONDS, connect=PAGE_SECONDS),
                             follow_redirects=True, max_redirects=MAX_REDIRECTS)
    try:
        async with client, asyncio.timeout(PAGE_SECONDS), client.stream("GET", url) as response:
            kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if response.status_code != 200 or kind not in ("text/html", "application/xhtml+xml"):
                return LinkPreview(url)
            page = b""
            async for chunk in response.aiter_bytes():
                page += chunk
                if len(page) >= PAGE_BYTES:
                    break
            return parse(url, page[:PAGE_BYTES].decode(response.encoding or "utf-8",
                                                        errors="replace"))
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL):
        return LinkPreview(url)
