"""The docs site at /docs: documentation for people, one page per area, in the reader's
language (Indonesian, English beside it).

A page is a Markdown file, `docs/site/<language>/<page>.md`; its first heading is its title.
`docs/api.md`, the developer reference, is shown at /docs/reference as it is (English). Each
file is rendered once per process with markdown-it-py: tables on, raw HTML off (a page holds
only what Markdown makes, so it keeps the pages' policy: no inline script), every heading
given an id to link to. tests/web/test_docs_examples.py runs every curl example the pages
show against a real server.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

from wapiz.kit.text import Language, Text
from wapiz.web.pages import page_language, render

REPOSITORY = Path(__file__).resolve().parents[2]
CONTENT = REPOSITORY / "docs" / "site"
REFERENCE = REPOSITORY / "docs" / "api.md"
INDEX = "index"
# The sidebar's order: the way a person meets WAPIZ.
PAGES = ("start", "devices", "people", "messages", "chats", "groups", "webhooks", "events",
         "stream", "outputs", "accounts", "sandbox",
         "reference")
REFERENCE_TITLE = Text("Referensi API", "API reference")

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str


@dataclass(frozen=True)
class DocPage:
    slug: str
    title: str
    html: Markup
    sections: tuple[Section, ...]


def anchor_of(heading: str) -> str:
    """A heading's id: its words in lower case joined by hyphens (`GET /api/devices/:id/qr`
    → `get-api-devices-id-qr`)."""
    return "-".join(re.findall(r"[a-z0-9]+", heading.lower())) or "section"


def _anchor_headings(state: StateCore) -> None:
    """Give every heading an id (unique in its page) and, below the title, a link to it."""
    used: dict[str, int] = {}
    for position, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[position + 1]
        anchor = anchor_of(inline.content)
        used[anchor] = used.get(anchor, 0) + 1
        if used[anchor] > 1:
            anchor = f"{anchor}-{used[anchor]}"
        token.attrSet("id", anchor)
        if token.tag != "h1" and inline.children is not None:
            inline.children += [
                Token("text", "", 0, content=" "),
                Token("link_open", "a", 1, attrs={"href": f"#{anchor}", "class": "anchor",
                                                  "aria-hidden": "true", "tabindex": "-1"}),
                Token("text", "", 0, content="#"),
                Token("link_close", "a", -1),
            ]


def _scrollable(opening: bool) -> Any:
    """A table inside a box that scrolls sideways: a wide table fits a phone's screen."""
    def rule(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        tag = self.renderToken(tokens, idx, options, env)
        return f'<div class="overflow-auto">{tag}' if opening else f"{tag}</div>\n"
    return rule


def _markdown() -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    markdown.core.ruler.push("anchor_headings", _anchor_headings)
    markdown.add_render_rule("table_open", _scrollable(opening=True))
    markdown.add_render_rule("table_close", _scrollable(opening=False))
    return markdown


def doc_page(slug: str, language: Language) -> DocPage | None:
    """A page, or None if there is no such page (asked before the cache, so names that are no
    page's never fill it)."""
    if slug != INDEX and slug not in PAGES:
        return None
    return _rendered(slug, language)


@cache
def _rendered(slug: str, language: Language) -> DocPage | None:
    """A page rendered, once per process."""
    source = REFERENCE if slug == "reference" else CONTENT / language / f"{slug}.md"
    if not source.is_file():
        return None
    markdown = _markdown()
    tokens = markdown.parse(source.read_text(encoding="utf-8"))
    title, sections = slug, []
    for position, token in enumerate(tokens):
        if token.type == "heading_open":
            words = tokens[position + 1].content
            if token.tag == "h1" and title == slug:
                title = words
            elif token.tag == "h2":
                sections.append(Section(str(token.attrGet("id")), words))
    if source == REFERENCE:  # one file in English, named in the reader's language
        title = REFERENCE_TITLE(language)
    html = markdown.renderer.render(tokens, markdown.options, {})
    # Safe to mark: raw HTML is off, so the HTML is only what Markdown makes of the text.
    return DocPage(slug, title, Markup(html), tuple(sections))


def _show(request: Request, slug: str) -> HTMLResponse:
    language = page_language(request)
    page = doc_page(slug, language)
    sidebar = [found for name in PAGES if (found := doc_page(name, language)) is not None]
    if page is None:
        return render(request, "docs_missing.html", status_code=404, pages=sidebar)
    return render(request, "docs.html", page=page, pages=sidebar)


@router.get("/docs")
async def docs_index(request: Request) -> HTMLResponse:
    return _show(request, INDEX)


@router.get("/docs/{slug}")
async def docs_page(slug: str, request: Request) -> HTMLResponse:
    return _show(request, slug)
