"""What the web app needs of the device API, usable by any client: renaming a device, and
conditional GETs (ETag, If-None-Match → 304) on the routes pages poll."""

from tests.support import Api, wait_until


def test_a_device_is_renamed_and_others_cannot(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token, "Lama")
    renamed = api.http.patch(f"/api/devices/{device['id']}", json={"label": "  Kasir  "},
                             headers=api.auth(token))
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {**device, "label": "Kasir"}
    assert api.http.get("/api/devices", headers=api.auth(token)).json()[0]["label"] == "Kasir"
    for bad in ({"label": ""}, {"label": "x" * 101}, {}, {"label": None}):
        answer = api.http.patch(f"/api/devices/{device['id']}", json=bad, headers=api.auth(token))
        assert answer.status_code == 422, bad
    stranger, _ = api.register()
    other = api.http.patch(f"/api/devices/{device['id']}", json={"label": "Milik saya"},
                           headers=api.auth(stranger))
    assert other.status_code == 404


def test_polled_routes_answer_304_while_unchanged(api: Api) -> None:
    token, _ = api.register()
    device = api.linked_device(token)
    for path in (f"/api/devices/{device['id']}/status",
                 f"/api/messages?deviceId={device['deviceId']}",
                 f"/api/devices/{device['id']}/webhook/deliveries"):
        first = api.http.get(path, headers=api.auth(token))
        tag = first.headers["etag"]
        assert first.status_code == 200 and tag.startswith('"')
        again = api.http.get(path, headers={**api.auth(token), "If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        other = api.http.get(path, headers={**api.auth(token), "If-None-Match": '"other"'})
        assert other.status_code == 200 and other.json() == first.json()
    # A change gives a new tag: a message sent shows in the list.
    path = f"/api/messages?deviceId={device['deviceId']}"
    before = api.http.get(path, headers=api.auth(token)).headers["etag"]
    sent = api.http.post("/api/messages", headers=api.auth(token), json={
        "deviceId": device["deviceId"], "to": "6281200000001", "text": "Halo"})
    assert sent.status_code == 202
    changed = api.http.get(path, headers={**api.auth(token), "If-None-Match": before})
    assert changed.status_code == 200 and changed.json()["items"][0]["id"] == sent.json()["id"]


def test_the_qr_code_says_when_it_expires_and_answers_304_while_the_same(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    path = f"/api/devices/{device['id']}/qr"
    qr = wait_until(lambda: (r := api.http.get(path, headers=api.auth(token))).status_code == 200
                    and r, timeout=20)
    assert qr.headers["content-type"] == "image/png"
    assert 0 <= float(qr.headers["x-qr-expires-in"]) <= 20  # the sandbox's codes: 20 s
    same = api.http.get(path, headers={**api.auth(token), "If-None-Match": qr.headers["etag"]})
    assert same.status_code in (200, 304)  # 200 only if the code rotated in between
    if same.status_code == 304:
        assert same.content == b""
    else:
        assert same.headers["etag"] != qr.headers["etag"]
