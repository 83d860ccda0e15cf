"""The pages speak Indonesian unless the reader chooses English, and load nothing from
elsewhere."""

from tests.support import Api


def test_the_home_page_is_indonesian_by_default_and_english_on_request(api: Api) -> None:
    page = api.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="id">' in page.text and "Baca dokumentasi" in page.text
    english = api.http.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Read the docs" in english.text


def test_a_chosen_language_is_remembered(api: Api) -> None:
    chosen = api.http.get("/?lang=en")
    assert "Read the docs" in chosen.text and chosen.cookies.get("wa_lang") == "en"
    # The cookie outweighs the browser's own list.
    later = api.http.get("/", headers={"Accept-Language": "id"}, cookies={"wa_lang": "en"})
    assert "Read the docs" in later.text
    assert "Baca dokumentasi" in api.http.get("/?lang=xx", cookies={"wa_lang": "id"}).text


def test_a_page_loads_only_its_own_servers_assets(api: Api) -> None:
    page = api.http.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "//" not in page.text.replace("<!DOCTYPE html>", "")
    for name in ("pico.css", "wapiz.css"):
        url = page.text.split(f'/assets/{name}?v=')[1].split('"')[0]
        loaded = api.http.get(f"/assets/{name}?v={url}")
        assert loaded.status_code == 200 and loaded.headers["content-type"].startswith("text/css")
