"""Rendering the pages: Jinja2 templates in the reader's language.

A page is a shell in Indonesian or English; what it shows of an account its scripts ask the
API for, with the same cookie (`wa_token`) or token any other client uses.

The language: `?lang=id|en` chooses and is remembered in the `wa_lang` cookie; without it,
the cookie, then `Accept-Language`; Indonesian when nothing says otherwise.
"""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from wapiz.kit.text import Language, Text, preferred_language
from wapiz.web.assets import asset_url

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGE_COOKIE = "wa_lang"
LANGUAGES: dict[str | None, Language] = {"id": "id", "en": "en"}
# Scripts and styles from this server only; no inline script (Alpine's CSP build needs none).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals["asset_url"] = asset_url


def page_language(request: Request) -> Language:
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in LANGUAGES:
            return LANGUAGES[chosen]
    return preferred_language(request.headers.get("accept-language"))


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    language = page_language(request)

    def words(indonesian: str, english: str) -> str:
        return Text(indonesian, english)(language)

    body = templates.get_template(template).render(
        lang=language, t=words, path=request.url.path, **context)
    answer = HTMLResponse(body, status_code=status_code, headers={
        "Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache",
        "Vary": "Accept-Language, Cookie", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin"})
    if request.query_params.get("lang") in LANGUAGES:
        answer.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax",
                          httponly=False)
    return answer
