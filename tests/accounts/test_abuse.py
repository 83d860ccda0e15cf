"""Guessing and flooding: logins throttled per client address as well as per email, sign-ups
per client address, the password hashing bounded, and the throttle's table pruned."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx

from tests.support import Api, Deployment, db_rows


def _email() -> str:
    return f"tebak-{uuid.uuid4().hex[:10]}@example.com"


def _login(api: Api, email: str, password: str = "salah123",
           headers: dict[str, str] | None = None) -> httpx.Response:
    return api.http.post("/api/auth/login", json={"email": email, "password": password},
                         headers=headers or {})


def test_guesses_at_many_emails_from_one_address_are_throttled(deployment: Deployment) -> None:
    server = deployment.serve(login_max_failures_per_address="5")
    api = Api(server.url)
    _, user = api.register()
    # Right passwords from the address count for nothing.
    for _ in range(8):
        assert _login(api, user["email"], "rahasia123").status_code == 200
    assert [_login(api, _email()).status_code for _ in range(5)] == [401] * 5
    locked = _login(api, _email(), headers={"Accept-Language": "en"})
    assert locked.status_code == 429 and locked.json()["code"] == "login_throttled"
    assert locked.json()["error"].startswith("Too many login attempts")
    assert 1 <= int(locked.headers["Retry-After"]) <= 30
    # The lock is the address's: even a known email with its right password waits.
    assert _login(api, user["email"], "rahasia123").status_code == 429
    api.close()


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(deployment: Deployment) -> None:
    untrusting = deployment.serve(login_max_failures_per_address="2")
    api = Api(untrusting.url)
    codes = [_login(api, _email(), headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
             for n in range(3)]
    assert codes == [401, 401, 429]  # one peer, whatever it claims
    api.close()

    behind_proxy = deployment.serve(login_max_failures_per_address="2",
                                    trusted_proxies="127.0.0.1, 10.0.0.0/8")  # as people write it
    api = Api(behind_proxy.url)
    many = [_login(api, _email(), headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(4)]
    assert many == [401] * 4  # four clients behind the proxy
    one = [_login(api, _email(), headers={"X-Forwarded-For": "198.51.100.200"}).status_code
           for _ in range(3)]
    assert one == [401, 401, 429]
    api.close()


def test_sign_ups_from_one_address_are_throttled(deployment: Deployment) -> None:
    server = deployment.serve(signup_max_per_address="3")
    api = Api(server.url)
    for _ in range(3):
        api.register()
    refused = api.http.post("/api/auth/register",
                            json={"email": _email(), "password": "rahasia123", "name": "A"})
    assert refused.status_code == 429 and refused.json()["code"] == "signup_throttled"
    assert "Retry-After" in refused.headers
    api.close()


def test_password_hashing_is_bounded_and_the_rest_told_to_wait(deployment: Deployment) -> None:
    server = deployment.serve(password_hash_slots="1")
    api = Api(server.url)
    _, user = api.register()

    def guess(_: int) -> httpx.Response:
        with httpx.Client(base_url=api.url, timeout=120) as client:
            return client.post("/api/auth/login",
                               json={"email": _email(), "password": "salah123"})

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(guess, range(40)))
    codes = Counter(answer.status_code for answer in answers)
    assert set(codes) == {401, 503}, codes
    # One slot, four waiting: at most five are checked at once, the rest refused at once.
    assert codes[503] >= 20, codes
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert busy.json()["code"] == "busy" and busy.headers["Retry-After"] == "1"
    assert _login(api, user["email"], "rahasia123").status_code == 200
    api.close()


def test_long_past_attempts_are_pruned(deployment: Deployment) -> None:
    server = deployment.serve()
    url = deployment.database_url
    sqlite = deployment.backend == "sqlite"

    def stamp(moment: datetime) -> datetime:
        return moment.replace(tzinfo=None) if sqlite else moment

    now = datetime.now(UTC)
    for n in range(30):
        db_rows(url, "INSERT INTO throttle (kind, subject, attempts, last_attempt_at) "
                "VALUES ('login_email', :subject, 3, :at)",
                subject=f"lama-{n}@example.com", at=stamp(now - timedelta(hours=2)))
    db_rows(url, "INSERT INTO throttle (kind, subject, attempts, last_attempt_at) "
            "VALUES ('login_email', 'baru@example.com', 3, :at)",
            at=stamp(now - timedelta(minutes=1)))
    api = Api(server.url)
    assert _login(api, _email()).status_code == 401
    subjects = {row[0] for row in db_rows(url, "SELECT subject FROM throttle")}
    assert not any(subject.startswith("lama-") for subject in subjects), subjects
    assert "baru@example.com" in subjects
    api.close()
