"""The docs site: a page per area in the reader's language, a sidebar of every page, headings
to link to, only what Markdown makes (no script), and a 404 page in the reader's language."""

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.support import Api
from tests.web.docs_examples import LANGUAGES, PAGES, SITE
from wapiz.web import docs

REPOSITORY = Path(__file__).resolve().parents[2]


class Links(HTMLParser):
    """The page's links, its heading ids, and whether it has any script."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "script" or any(name.startswith("on") for name in found):
            self.scripts += 1


def parsed(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def test_the_index_lists_every_page_in_the_readers_language(api: Api) -> None:
    indonesian = api.http.get("/docs")
    assert indonesian.status_code == 200 and '<html lang="id">' in indonesian.text
    assert "Dokumentasi WAPIZ" in indonesian.text and "Memulai" in indonesian.text
    english = api.http.get("/docs?lang=en")
    assert '<html lang="en">' in english.text and "Getting started" in english.text
    assert english.cookies.get("wa_lang") == "en"
    for page in (*PAGES, "reference"):
        assert f'href="/docs/{page}"' in indonesian.text and f'href="/docs/{page}"' in english.text


def test_every_page_renders_in_both_languages_with_anchored_headings(api: Api) -> None:
    for language in LANGUAGES:
        for page in (*PAGES, "reference"):
            answer = api.http.get(f"/docs/{page}?lang={language}")
            assert answer.status_code == 200, (page, language)
            assert answer.headers["content-type"].startswith("text/html")
            policy = answer.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "script-src 'self'" in policy
            html = parsed(answer.text)
            assert html.scripts == 0, (page, language)
            # The sidebar marks the page, and lists its sections, each a heading's anchor.
            current = re.search(rf'<a href="/docs/{page}" aria-current="page">', answer.text)
            assert current, (page, language)
            sections = [href[1:] for href in html.hrefs if href.startswith("#")]
            assert sections and set(sections) <= html.ids, (page, language)


def test_the_seeds_headings_and_tables_are_there(api: Api) -> None:
    page = api.http.get("/docs/devices").text
    assert 'id="get-api-devices-id-qr"' in page and 'href="#get-api-devices-id-qr"' in page
    assert "<th>Paket</th>" in page and "<td>Free / Lite</td>" in page
    assert "Paket Free maksimal 1 device" in page and "Device Baru" in page
    assert re.search(r"WhatsApp → Perangkat Tertaut →\s+Tautkan Perangkat", page)
    # A wide table scrolls inside its box on a phone rather than widening the page.
    assert '<div class="overflow-auto"><table>' in page


def test_every_link_between_the_pages_leads_somewhere(api: Api) -> None:
    for language in LANGUAGES:
        for page in ("", *(f"/{name}" for name in PAGES)):
            html = parsed(api.http.get(f"/docs{page}?lang={language}").text)
            for href in html.hrefs:
                if href.startswith("/") and not href.startswith("//"):
                    target = href.split("#")[0]
                    assert api.http.get(target).status_code == 200, (page, href)


def test_an_unknown_page_is_a_404_page_in_the_readers_language(api: Api) -> None:
    missing = api.http.get("/docs/nope")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Halaman tidak ditemukan" in missing.text and 'href="/docs/start"' in missing.text
    english = api.http.get("/docs/nope", headers={"Accept-Language": "en"})
    assert english.status_code == 404 and "Page not found" in english.text
    assert api.http.get("/docs/..%2Fapi").status_code == 404


def test_markdown_makes_no_raw_html_and_each_page_is_rendered_once() -> None:
    rendered = docs._markdown().render("<script>alert(1)</script>\n\n<b onclick=x>b</b>")
    assert "<script" not in rendered and "<b " not in rendered
    assert docs.doc_page("devices", "id") is docs.doc_page("devices", "id")
    assert docs.doc_page("nope", "id") is None
    before = docs._rendered.cache_info().currsize
    for name in ("a", "b", "../api"):
        assert docs.doc_page(name, "en") is None
    assert docs._rendered.cache_info().currsize == before


def test_each_page_is_written_in_both_languages() -> None:
    for page in ("index", *PAGES):
        indonesian, english = ((SITE / language / f"{page}.md").read_text()
                               for language in LANGUAGES)
        headings = [re.findall(r"^#+ ", text, flags=re.M) for text in (indonesian, english)]
        assert headings[0] == headings[1], page
        assert indonesian != english, page


def test_the_readme_and_the_api_reference_point_to_the_docs_site() -> None:
    assert "/docs" in (REPOSITORY / "README.md").read_text()
    assert "docs/site/" in (REPOSITORY / "docs" / "api.md").read_text()
    assert "docs/site/" in (REPOSITORY / "docs" / "architecture.md").read_text()
