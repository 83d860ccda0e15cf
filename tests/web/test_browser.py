"""The web app in a real browser: Debian's Chromium driven by Playwright (which never
downloads a browser here), against a real `wapiz serve` on the sandbox engine.

The flows a person follows: sign up, add a device, watch the QR code rotate, link it (the
sandbox's "simulate scan"), see it connected without a reload, set a webhook and send a test
event to a local receiver, send a message and watch its status change, meet the plan's limit;
decline calls with a message to the caller; rename and delete a device; and the operator's:
sign-up closed, then by invitation, a user's plan changed and the user disabled. Screenshots
of the main pages at desktop and phone sizes go to docs/screenshots/; the device page's weight
and the delay between a device logging in and the page saying so are measured and printed
(bench/README.md records them)."""

import io
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.support import Deployment, WapizProcess, unique_phone
from tests.webhooks.receiver import running_receiver

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PAGE_BUDGET_BYTES = 200 * 1024
PAIR_CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")

if not CHROMIUM.exists():  # CI installs it (.ci/run); a machine without it cannot run these
    pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


# One browser per module, not per session: Playwright's sync API keeps an event loop running
# in this thread while it is open, and the tests that run after this module in the same
# worker start their own loops (asyncio.run), which a running one forbids.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def web(shared_deployment: Deployment) -> WapizProcess:
    # QR codes rotate every 2 s here (20 s by default), so a test sees a rotation quickly.
    return shared_deployment.serve(sandbox_qr_seconds="2")


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_up(page: Page, url: str) -> str:
    email = f"web-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(url + "/")
    page.get_by_role("link", name="Daftar").first.click()
    page.wait_for_url(url + "/register")
    page.get_by_label("Nama").fill("Budi")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("rahasia123")
    page.get_by_role("button", name="Daftar").click()
    page.wait_for_url(url + "/")
    expect(page.get_by_role("heading", name="Perangkat")).to_be_visible()
    return email


def add_device(page: Page, label: str) -> str:
    page.get_by_label("Nama perangkat baru").fill(label)
    page.get_by_role("button", name="Tambah perangkat").click()
    page.wait_for_url(re.compile(r"/devices/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def desktop_page(browser: Browser) -> Page:
    """A new desktop window in Indonesian, with cookies of its own (`page.context`)."""
    return browser.new_context(viewport=DESKTOP, locale="id-ID").new_page()


def first_load_bytes(browser: Browser, storage: dict, url: str) -> int:
    """What a fresh browser (empty cache) transfers to show the device page: the page, its
    assets and its first API answers (Resource Timing's transferSize: headers and the
    compressed body)."""
    context = browser.new_context(viewport=DESKTOP, storage_state=storage)
    page = context.new_page()
    page.goto(url)
    expect(page.locator("[data-test=qr]")).to_be_visible(timeout=15_000)
    total = page.evaluate("""() => performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource'))
        .reduce((sum, entry) => sum + entry.transferSize, 0)""")
    context.close()
    return int(total)


def test_a_user_links_a_device_sends_and_hears_back(browser: Browser, web: WapizProcess) -> None:
    page = desktop_page(browser)
    page.goto(web.url + "/")
    shot(page, "landing-desktop")
    sign_up(page, web.url)
    expect(page.locator("[data-test=plan]")).to_have_text("Free")
    expect(page.locator("[data-test=device-count]")).to_contain_text("0/1")
    device_id = add_device(page, "Toko Budi")
    expect(page.locator("h1")).to_have_text("Toko Budi")

    # The QR code appears, and is replaced by itself as the codes rotate.
    qr = page.locator("[data-test=qr]")
    expect(qr).to_be_visible(timeout=15_000)
    expect(page.locator("[data-test=countdown]")).to_contain_text("detik")
    first = qr.get_attribute("src")
    assert first and first.startswith("blob:")
    expect(qr).not_to_have_attribute("src", first, timeout=10_000)
    expect(page.get_by_text("Perangkat Tertaut", exact=True)).to_be_visible()
    shot(page, "device-link-desktop")

    weight = first_load_bytes(browser, page.context.storage_state(), page.url)

    # Simulate the scan: the page says "terhubung" without a reload, within a second.
    page.evaluate("() => { window.notReloaded = true; }")
    page.evaluate("""() => {
        const badge = document.querySelector('[data-test=status]');
        new MutationObserver(() => {
            if (badge.textContent === 'terhubung' && !window.shownAt) {
                window.shownAt = performance.timeOrigin + performance.now();
            }
        }).observe(badge, {childList: true, characterData: true, subtree: true});
    }""")
    with page.expect_response(re.compile(r"/api/sandbox/devices/.*/link$")) as linked:
        page.get_by_role("button", name="Simulasikan pindai").click()
    answer = linked.value
    assert answer.status == 200, answer.text()
    logged_in_at = answer.request.timing["startTime"] + answer.request.timing["responseEnd"]
    expect(page.locator("[data-test=status]")).to_have_text("terhubung", timeout=5_000)
    expect(page.locator("[data-test=linked]")).to_be_visible()
    assert page.evaluate("() => window.notReloaded") is True
    delay_ms = page.evaluate("() => window.shownAt") - logged_in_at
    shot(page, "device-linked-desktop")
    # Linked, the page hears of changes from the event stream (GET /api/events) and no longer
    # polls the status (it would every 3 s while the stream is down).
    polled: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if r.url.endswith("/status") else None)
    page.wait_for_timeout(4000)
    assert polled == [], polled

    # The webhook: a URL, a test event that reaches the receiver, the delivery in the log.
    with running_receiver() as receiver:
        page.get_by_role("button", name="Webhook").click()
        page.get_by_label("URL webhook").fill(receiver.url)
        page.get_by_role("button", name="Simpan", exact=True).click()
        expect(page.get_by_text("Tersimpan")).to_be_visible()
        secret = page.get_by_label("Rahasia penanda tangan")
        expect(secret).to_have_attribute("type", "password")
        page.get_by_role("button", name="Tampilkan").click()
        expect(secret).to_have_attribute("type", "text")
        expect(secret).to_have_value(re.compile(r"^whsec_"))
        page.get_by_role("button", name="Kirim peristiwa uji").click()
        expect(page.locator("[data-test=delivery-status]").first).to_have_text(
            "succeeded", timeout=10_000)
        tests = receiver.events("webhook.test")
        assert len(tests) == 1
        assert receiver.received[-1].verified_by(secret.input_value())["type"] == "webhook.test"
        expect(page.locator("[data-test=delivery-row]").first).to_contain_text("HTTP 200")
        shot(page, "device-webhook-desktop")

        # A message: sent from the form, its status changing in the list by itself.
        page.get_by_role("button", name="Pesan", exact=True).click()
        page.evaluate("""() => {
            window.seen = [];
            setInterval(() => {
                const s = document.querySelector('[data-test=message-status]');
                const status = s && s.dataset.status;
                if (status && window.seen[window.seen.length - 1] !== status) {
                    window.seen.push(status);
                }
            }, 20);
        }""")
        page.get_by_label("Kepada (nomor)").fill(unique_phone())
        page.get_by_label("Teks atau keterangan").fill("Halo dari peramban")
        page.get_by_role("button", name="Kirim", exact=True).click()
        status = page.locator("[data-test=message-status]").first
        # In words (terkirim: sent, sampai: delivered), the API's value beside in data-status.
        expect(status).to_have_text(re.compile(r"^(terkirim|sampai)$"), timeout=15_000)
        page.wait_for_function("() => ['sent', 'delivered'].includes(window.seen.at(-1))")
        seen = page.evaluate("() => window.seen")
        assert seen[0] in ("queued", "sending") and seen[-1] in ("sent", "delivered"), seen
        expect(page.locator("[data-test=message-row]").first).to_contain_text("Halo dari peramban")
        # A file: uploaded with a caption, sent like the text.
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(picture, format="PNG")
        page.get_by_label("Berkas (opsional)").set_input_files(
            {"name": "foto.png", "mimeType": "image/png", "buffer": picture.getvalue()})
        page.get_by_label("Teks atau keterangan").fill("Foto toko")
        page.get_by_role("button", name="Kirim", exact=True).click()
        newest = page.locator("[data-test=message-row]").first
        expect(newest).to_contain_text("Foto toko")
        expect(newest.locator("[data-test=message-status]")).to_have_text(
            re.compile(r"^(terkirim|sampai)$"), timeout=15_000)
        shot(page, "device-messages-desktop")
        # …and its event reached the receiver too.
        assert any(e["type"] == "message.updated" for e in receiver.events())

    page.get_by_role("button", name="Ringkasan").click()
    expect(page.locator("[data-test=queue-depth]")).to_have_text("0")
    expect(page.locator(".uplot")).to_have_count(2)
    shot(page, "device-overview-desktop")

    # The plan's limit, in the seed's words.
    page.get_by_role("link", name="Semua perangkat").click()
    expect(page.locator("[data-test=device-count]")).to_contain_text("1/1")
    page.get_by_role("button", name="Tambah perangkat").click()
    expect(page.locator("[data-test=add-error]")).to_have_text("Paket Free maksimal 1 device")
    shot(page, "devices-desktop")

    # The same pages on a phone.
    phone = browser.new_context(viewport=PHONE, storage_state=page.context.storage_state(),
                                locale="id-ID", is_mobile=True, has_touch=True)
    small = phone.new_page()
    for name, path in [("devices", "/"), ("device-linked", f"/devices/{device_id}")]:
        small.goto(web.url + path)
        expect(small.locator("[data-test=plan]")).to_have_text("Free")
        shot(small, f"{name}-phone")
    phone.close()
    visitor = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    small = visitor.new_page()
    small.goto(web.url + "/")
    shot(small, "landing-phone")
    visitor.close()
    page.context.close()

    print("\nWEBAPP " + json.dumps({"device_page_first_load_bytes": weight,
                                   "logged_in_to_shown_ms": round(delay_ms)}))
    assert weight < PAGE_BUDGET_BYTES, weight
    assert delay_ms < 1000, delay_ms


def test_devices_are_paired_renamed_and_deleted_and_the_app_speaks_english(
        browser: Browser, web: WapizProcess) -> None:
    page = desktop_page(browser)
    email = sign_up(page, web.url)
    add_device(page, "Satu")

    # Linking by pairing code: the phone number, the 8-character code, typed in by the
    # sandbox's phone.
    page.get_by_text("Tautkan dengan nomor telepon", exact=True).click()
    page.get_by_label("Nomor WhatsApp").fill(unique_phone())
    page.get_by_role("button", name="Minta kode").click()
    # (Asked before a runner holds the new device, the app waits for one: the next test.)
    expect(page.locator("[data-test=pair-code]")).to_have_text(PAIR_CODE, timeout=30_000)
    page.get_by_role("button", name="Simulasikan pindai").click()
    expect(page.locator("[data-test=status]")).to_have_text("terhubung", timeout=15_000)

    # The list: its badge, renaming from the keyboard, deleting after a confirmation.
    page.get_by_role("link", name="Semua perangkat").click()
    row = page.locator(".device-row").first
    expect(row.locator(".badge")).to_have_text("terhubung")
    row.get_by_role("button", name="Ganti nama").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Nama baru").fill("Kasir Depan")
    page.keyboard.press("Enter")
    expect(row.get_by_role("link")).to_have_text("Kasir Depan")
    page.reload()
    expect(page.locator(".device-row").first.get_by_role("link")).to_have_text("Kasir Depan")
    row = page.locator(".device-row").first
    row.get_by_role("button", name="Hapus", exact=True).click()
    expect(row.get_by_role("alertdialog")).to_contain_text("Hapus perangkat ini")
    row.get_by_role("button", name="Batal").click()
    expect(page.locator(".device-row")).to_have_count(1)
    row.get_by_role("button", name="Hapus", exact=True).click()
    row.get_by_role("button", name="Ya, hapus", exact=True).click()
    expect(page.locator(".device-row")).to_have_count(0)
    expect(page.locator("[data-test=device-count]")).to_contain_text("0/1")

    # English, remembered; then log out and back in.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Devices")).to_be_visible()
    expect(page.get_by_role("button", name="Add device")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(web.url + "/")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("salah-sekali")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password")
    shot(page, "login-desktop")
    page.get_by_label("Password").fill("rahasia123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(web.url + "/")
    expect(page.locator("[data-test=plan]")).to_have_text("Free")
    page.context.close()


def test_a_pairing_code_asked_before_any_runner_holds_the_device_comes_once_one_does(
        browser: Browser, deployment: Deployment) -> None:
    deployment.migrate()
    api = deployment.api()  # no runner yet: nobody can ask WhatsApp for a code
    page = desktop_page(browser)
    sign_up(page, api.url)
    add_device(page, "Tanpa runner")
    page.get_by_text("Tautkan dengan nomor telepon", exact=True).click()
    page.get_by_label("Nomor WhatsApp").fill(unique_phone())
    asking = page.get_by_role("button", name="Minta kode")
    asking.click()
    # The app asks again after each 503's Retry-After instead of showing the error at once.
    expect(asking).to_be_disabled()
    page.wait_for_timeout(2_000)
    expect(page.get_by_role("alert")).to_have_count(0)
    deployment.runner("late")
    expect(page.locator("[data-test=pair-code]")).to_have_text(PAIR_CODE, timeout=25_000)
    expect(asking).to_be_enabled()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.context.close()


def test_an_api_key_is_made_used_with_curl_and_revoked(browser: Browser,
                                                       web: WapizProcess) -> None:
    page = desktop_page(browser)
    sign_up(page, web.url)
    device_id = add_device(page, "Gudang")
    page.get_by_role("link", name="Kunci API").click()
    page.wait_for_url(web.url + "/keys")
    page.get_by_label("Nama kunci").fill("server-gudang")
    page.get_by_label("Perangkat").select_option(label="Gudang")
    page.get_by_role("button", name="Buat kunci").click()
    key = page.locator("[data-test=new-key]")
    expect(key).not_to_have_value("")
    secret = key.input_value()
    row = page.locator("[data-test=key-row]").first
    expect(row).to_contain_text("server-gudang")
    expect(row).to_contain_text("Gudang")
    expect(row).to_contain_text("belum pernah")
    shot(page, "keys-desktop")

    def curl(*headers: str) -> str:
        args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"]
        for header in headers:
            args += ["-H", header]
        return subprocess.run([*args, f"{web.url}/api/devices/{device_id}/status"],
                              capture_output=True, text=True, timeout=30).stdout

    assert curl(f"Authorization: Bearer {secret}") == "200"
    assert curl(f"X-Api-Key: {secret}") == "200"
    page.get_by_role("button", name="Sudah disimpan").click()
    expect(key).to_be_hidden()
    page.reload()  # shown once: the list shows only its prefix, and now its last use
    expect(page.locator("[data-test=new-key]")).to_be_hidden()
    row = page.locator("[data-test=key-row]").first
    expect(row).not_to_contain_text("belum pernah")
    row.get_by_role("button", name="Cabut").click()
    row.get_by_role("button", name="Ya, cabut").click()
    expect(page.locator("[data-test=key-row]")).to_have_count(0)
    assert curl(f"Authorization: Bearer {secret}") == "401"
    page.context.close()


def test_calls_are_declined_with_a_message_set_in_the_settings(browser: Browser,
                                                                web: WapizProcess) -> None:
    page = desktop_page(browser)
    sign_up(page, web.url)
    device_id = add_device(page, "Kasir")
    expect(page.locator("[data-test=qr]")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Simulasikan pindai").click()
    expect(page.locator("[data-test=status]")).to_have_text("terhubung", timeout=10_000)

    # The switch enables its message; both are kept across a reload, beside the history sync.
    page.get_by_role("button", name="Pengaturan").click()
    message = page.get_by_label("Pesan untuk penelepon (kosong: tanpa pesan)")
    expect(message).to_be_disabled()
    page.get_by_label("Tolak setiap panggilan masuk").check()
    message.fill("Maaf, kami hanya melayani lewat pesan.")
    page.get_by_label("Ambil riwayat obrolan saat perangkat ditautkan").check()
    page.get_by_label("Berapa hari ke belakang").fill("7")
    page.get_by_role("button", name="Simpan pengaturan").click()
    expect(page.get_by_text("Tersimpan")).to_be_visible()
    page.reload()
    page.get_by_role("button", name="Pengaturan").click()
    expect(page.get_by_label("Tolak setiap panggilan masuk")).to_be_checked()
    expect(message).to_have_value("Maaf, kami hanya melayani lewat pesan.")
    expect(page.get_by_label("Berapa hari ke belakang")).to_have_value("7")

    # Someone calls (the sandbox's phone, with the page's own cookie): the call is declined
    # and the caller gets the message, which the message list shows going out.
    caller = unique_phone()
    rung = page.request.post(f"{web.url}/api/sandbox/devices/{device_id}/call",
                             data={"from": caller})
    assert rung.status == 202, rung.text()
    page.get_by_role("button", name="Pesan", exact=True).click()
    reply = page.locator("[data-test=message-row]").filter(
        has_text="Maaf, kami hanya melayani lewat pesan.")
    expect(reply).to_have_count(1, timeout=15_000)
    expect(reply.locator("[data-test=message-status]")).to_have_text(
        re.compile(r"^(terkirim|sampai)$"), timeout=15_000)
    page.context.close()


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("rahasia123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(url + "/")


def fill_sign_up(page: Page, email: str) -> None:
    page.get_by_label("Nama").fill("Sari")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill("rahasia123")
    page.get_by_role("button", name="Daftar").click()


def test_an_admin_closes_sign_up_invites_changes_a_plan_and_disables(
        browser: Browser, deployment: Deployment) -> None:
    deployment.migrate()
    deployment.cli("users", "create", "--email", "ops@example.com", "--name", "Ops",
                   "--password", "rahasia123", "--admin")
    web = deployment.serve()
    admin = desktop_page(browser)
    visitor = desktop_page(browser)
    log_in(admin, web.url, "ops@example.com")
    admin.get_by_role("link", name="Admin", exact=True).click()
    admin.wait_for_url(web.url + "/admin")
    expect(admin.get_by_role("heading", name="Pengguna")).to_be_visible()

    # Sign-up closed by the admin: the register page says so, and registering fails in words.
    admin.get_by_role("link", name="Pendaftaran & undangan").click()
    admin.get_by_label("Ditutup").check()
    expect(admin.locator("[data-test=signup-source]")).to_contain_text("Diatur oleh admin")
    visitor.goto(web.url + "/register")
    expect(visitor.locator("[data-test=signup-notice]")).to_contain_text("Pendaftaran ditutup")
    fill_sign_up(visitor, "sari@example.com")
    expect(visitor.get_by_role("alert")).to_have_text(
        "Pendaftaran ditutup di server ini: minta admin membuatkan akun")
    shot(visitor, "register-closed-desktop")

    # Invite-only: an invite's link, shown once, signs the visitor up.
    admin.get_by_label("Hanya dengan undangan").check()
    expect(admin.locator("[data-test=signup-source]")).to_contain_text("Diatur oleh admin")
    admin.get_by_label("Email (opsional)").fill("sari@example.com")
    admin.get_by_role("button", name="Buat undangan").click()
    link = admin.locator("[data-test=invite-link]")
    expect(link).to_have_value(re.compile(re.escape(web.url) + r"/register\?invite=\S+$"))
    invite_url = link.input_value()
    expect(admin.locator("[data-test=invite-status]").first).to_have_text("terbuka")
    visitor.goto(web.url + "/register")
    expect(visitor.locator("[data-test=signup-notice]")).to_contain_text(
        "hanya dengan undangan")
    visitor.goto(invite_url)
    expect(visitor.locator("[data-test=signup-notice]")).to_contain_text("dengan undangan")
    fill_sign_up(visitor, "sari@example.com")
    visitor.wait_for_url(web.url + "/")
    expect(visitor.locator("[data-test=plan]")).to_have_text("Free")
    expect(visitor.locator("[data-test=device-count]")).to_contain_text("0/1")
    add_device(visitor, "Toko Sari")
    admin.get_by_role("button", name="Sudah disalin").click()
    admin.reload()
    expect(admin.locator("[data-test=invite-status]").first).to_have_text("terpakai")
    shot(admin, "admin-signup-desktop")

    # A non-admin sees no Admin entry, and the page itself says why in words.
    expect(visitor.get_by_role("link", name="Admin", exact=True)).to_be_hidden()
    visitor.goto(web.url + "/admin")
    expect(visitor.locator("[data-test=admin-error]")).to_have_text("Hanya untuk admin")
    expect(visitor.locator("[data-test=user-row]")).to_have_count(0)

    # The user's plan: free → regular; their header shows the new limit after a reload.
    admin.get_by_role("link", name="Pengguna").click()
    admin.get_by_label("Cari email").fill("sari@")
    admin.keyboard.press("Enter")
    row = admin.locator("[data-test=user-row]")
    expect(row).to_have_count(1)
    with admin.expect_response(lambda r: r.request.method == "PATCH") as changed:
        row.get_by_label("Paket untuk sari@example.com").select_option("regular")
    assert changed.value.status == 200
    expect(row).to_contain_text("1/3")
    visitor.goto(web.url + "/")
    expect(visitor.locator("[data-test=plan]")).to_have_text("Regular")
    expect(visitor.locator("[data-test=device-count]")).to_contain_text("1/3")

    # The API's 409 in words: an admin cannot disable themselves.
    admin.get_by_label("Cari email").fill("")
    admin.get_by_role("button", name="Cari").click()
    own = admin.locator("[data-test=user-row]", has_text="ops@example.com")
    own.get_by_role("button", name="Nonaktifkan").click()
    expect(own.locator("[data-test=user-error]")).to_have_text(
        "Admin tidak bisa menonaktifkan dirinya sendiri")
    expect(own.locator("[data-test=user-state]")).to_have_text("aktif")

    # Disabled from the keyboard: the user's session ends.
    row = admin.locator("[data-test=user-row]", has_text="sari@example.com")
    row.get_by_role("button", name="Nonaktifkan").focus()
    admin.keyboard.press("Enter")
    expect(row.locator("[data-test=user-state]")).to_have_text("nonaktif")
    shot(admin, "admin-users-desktop")
    visitor.reload()
    visitor.wait_for_url(web.url + "/login")

    # The other pages, at both sizes, and in English.
    admin.get_by_role("link", name="Perangkat", exact=True).last.click()
    admin.wait_for_url(web.url + "/admin/devices")
    device = admin.locator("[data-test=admin-device-row]", has_text="Toko Sari")
    expect(device).to_contain_text("sari@example.com")
    expect(device.locator("[data-test=admin-device-status]")).not_to_have_text("memuat…")
    shot(admin, "admin-devices-desktop")
    admin.get_by_role("link", name="Kesehatan server").click()
    expect(admin.locator("[data-test=health-db]")).to_have_text("terjangkau")
    # Runners holding a lease come and go with the device's QR codes; the devices stay.
    expect(admin.locator("[data-test=health-runners]")).to_have_text(re.compile(r"^\d+$"))
    expect(admin.locator("[data-test=health-devices]")).to_have_text("1")
    expect(admin.locator("[data-test=health-queue]")).to_have_text("0")
    # The deployment's processes: this server's API side and its runner, both alive.
    api_node = admin.locator("[data-test=node-row]", has_text="API")
    expect(api_node.locator("[data-test=node-state]")).to_have_text("aktif")
    runner_node = admin.locator("[data-test=node-row]", has_text="runner (all)")
    expect(runner_node.locator("[data-test=node-held]")).to_have_text(re.compile(r"^\d+ / 1000$"))
    expect(runner_node.locator("[data-test=node-state]")).to_have_text("aktif")
    shot(admin, "admin-health-desktop")
    admin.set_viewport_size(PHONE)
    for path, name in (("/admin", "users"), ("/admin/signup", "signup"),
                       ("/admin/health", "health")):
        admin.goto(web.url + path)
        expect(admin.locator("h2").first).to_be_visible()
        expect(admin.locator("[data-test=admin-error]")).to_be_hidden()
        admin.wait_for_load_state("networkidle")
        shot(admin, f"admin-{name}-phone")
    admin.get_by_role("link", name="English").click()
    expect(admin.get_by_role("heading", name="Server health")).to_be_visible()
    expect(admin.locator("[data-test=health-db]")).to_have_text("reachable")
