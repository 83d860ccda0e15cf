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


def test_assets_come_compressed_when_the_browser_accepts_it(api: Api) -> None:
    import gzip

    url = api.http.get("/").text.split('/assets/pico.css?v=')[1].split('"')[0]
    path = f"/assets/pico.css?v={url}"
    plain = api.http.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    squeezed = api.http.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert squeezed.headers["content-encoding"] == "gzip"
    assert squeezed.headers["vary"] == "Accept-Encoding"
    assert int(squeezed.headers["content-length"]) < len(plain.content) / 3
    # httpx decodes it: the same bytes as the plain answer.
    assert squeezed.content == plain.content
    raw = api.http.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in raw.headers
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content


def test_pages_of_the_app_for_visitors_and_the_signed_in(api: Api) -> None:
    landing = api.http.get("/")
    assert 'href="/login"' in landing.text and 'href="/register"' in landing.text
    assert "Masuk" in landing.text and "Daftar" in landing.text
    assert 'x-data="auth"' in api.http.get("/login").text
    assert 'data-mode="register"' in api.http.get("/register").text
    token, _ = api.register()
    signed_in = api.http.get("/", cookies={"wa_token": token})
    assert 'x-data="devices"' in signed_in.text
    device = api.create_device(token)
    page = api.http.get(f"/devices/{device['id']}", cookies={"wa_token": token})
    assert page.status_code == 200 and f'data-device="{device["id"]}"' in page.text
    # Without a token, the device page sends the visitor to log in; a bad id, home.
    assert api.http.get(f"/devices/{device['id']}").headers["location"] == "/login"
    assert api.http.get("/devices/bukan-id", cookies={"wa_token": token}).headers[
        "location"] == "/"


def test_the_admin_pages_are_shells_the_api_guards(api: Api) -> None:
    for path, section in (("/admin", "users"), ("/admin/devices", "devices"),
                          ("/admin/health", "health"), ("/admin/signup", "signup")):
        assert api.http.get(path).headers["location"] == "/login"
        # Any signed-in visitor gets the shell; its script shows the API's 403 to non-admins.
        page = api.http.get(path, cookies={"wa_token": "whatever"})
        assert page.status_code == 200 and f'data-section="{section}"' in page.text
        assert 'aria-current=page>' in page.text.split("Bagian admin")[1]
