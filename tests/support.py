"""Test support: real server processes, real databases, and factories for test data."""

import asyncio
import concurrent.futures
import contextlib
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Self

import httpx
from sqlalchemy.engine import make_url

PG_ENV = "WAPIZ_TEST_DATABASE_URL"
STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- databases --------------------------------------------------------------------------


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username,
        password=parsed.password, database=parsed.database,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run(coroutine) -> None:  # type: ignore[no-untyped-def]
    """asyncio.run, also where a loop already runs in this thread (Playwright's sync API):
    then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test server; dropped afterwards."""
    base = os.environ[PG_ENV]
    name = f"wapiz_test_{uuid.uuid4().hex[:12]}"
    _run(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def database_for(backend: str, data_dir: Path) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{data_dir / 'wapiz.db'}"


# --- processes --------------------------------------------------------------------------


def child_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a process we start: ours minus any WAPIZ_*, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAPIZ_")}
    env.update(WAPIZ_DATABASE_URL=database_url, WAPIZ_DATA_DIR=str(data_dir),
               WAPIZ_ENGINE="sandbox", PYTHONUNBUFFERED="1",
               # Tests call receivers, file servers and proxies on loopback (and so never
               # look a public name up); the refusal of such addresses is tested with these
               # off.
               WAPIZ_WEBHOOK_ALLOW_PRIVATE="true", WAPIZ_MEDIA_ALLOW_PRIVATE="true",
               WAPIZ_PROXY_ALLOW_PRIVATE="true",
               # Every test signs up and logs in from 127.0.0.1: the per-address throttle
               # is tested with its own allowances (tests/accounts/test_abuse.py).
               WAPIZ_SIGNUP_MAX_PER_ADDRESS="1000000",
               WAPIZ_LOGIN_MAX_FAILURES_PER_ADDRESS="1000000")
    env.update({f"WAPIZ_{k.upper()}": v for k, v in settings.items()})
    return env


def wapiz(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a `wapiz` CLI command to completion."""
    return subprocess.run([sys.executable, "-m", "wapiz", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=check)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # The command name may hold spaces; the fields after its closing paren don't.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate, timeout: float, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll until `predicate()` is truthy; returns its value, or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {timeout}s: {predicate}")
        time.sleep(interval)


@dataclass
class WapizProcess:
    """A `wapiz serve` / `api` / `runner` process, in a process group of its own."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    prefix: list[str] = field(default_factory=list)  # e.g. `ip netns exec NAME`
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> "WapizProcess":
        command = [*self.prefix, sys.executable, "-m", "wapiz", *self.args]
        if self.port is not None:
            command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        if self.port is not None:
            self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"wapiz exited early:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"wapiz did not become healthy:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def runner_pids(self) -> list[int]:
        return [pid for pid in children_of(self.pid) if alive(pid)]

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        """Stop the whole process group: politely, then firmly."""
        if self.process is None or self.process.poll() is not None:
            self._kill_group()
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self._kill_group()
            self.process.wait(5)
        self._kill_group()

    def _kill_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)


# --- API factories ----------------------------------------------------------------------


# Numbers run on from a random start: drawn at random, 1,000 of them (a benchmark's devices)
# repeated one now and then (a birthday collision), refused as `number_in_use`.
_PHONE_SUFFIXES = itertools.count(random.randrange(10**7))


def unique_phone(prefix: str = "62812") -> str:
    """A number no other test of this process links (a sandbox number links one device at a
    time)."""
    return f"{prefix}{next(_PHONE_SUFFIXES) % 10**7:07d}"


class Api:
    """A small HTTP client for one server, with the flows tests build on."""

    def __init__(self, url: str) -> None:
        self.url = url
        # No cookie jar: each test says which token it sends.
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        self.http = httpx.Client(base_url=url, timeout=30, cookies=no_cookies)

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def register(self, plan_note: str = "") -> tuple[str, dict]:
        email = f"user-{uuid.uuid4().hex[:10]}{plan_note}@example.com"
        response = self.http.post("/api/auth/register",
                                  json={"email": email, "password": "rahasia123", "name": "Uji"})
        assert response.status_code == 201, response.text
        body = response.json()
        return body["token"], body["user"]

    def create_device(self, token: str, label: str | None = None) -> dict:
        body = {"label": label} if label is not None else {}
        response = self.http.post("/api/devices", json=body, headers=self.auth(token))
        assert response.status_code == 201, response.text
        return response.json()

    def status(self, token: str, device_id: str) -> dict:
        response = self.http.get(f"/api/devices/{device_id}/status", headers=self.auth(token))
        assert response.status_code == 200, response.text
        return response.json()

    def link(self, token: str, device_id: str, phone: str | None = None,
             timeout: float = 30.0) -> dict:
        """Scan the device's QR code with a sandbox phone (a number of its own unless one is
        given: a number links one device at a time). Until a runner has taken the device
        there is no code (503 with Retry-After): like a person, wait and scan again. A scan
        the runner has not confirmed within the API's wait (202, a busy machine) is waited
        for on the device's status."""
        phone = phone or unique_phone()
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.post(f"/api/sandbox/devices/{device_id}/link",
                                      json={"phone": phone}, headers=self.auth(token))
            if response.status_code != 503 or time.monotonic() >= deadline:
                break
            time.sleep(min(float(response.headers.get("Retry-After", 1)), 1.0))
        assert response.status_code in (200, 202), response.text
        if response.status_code == 202:
            wait_until(lambda: self.status(token, device_id)["status"] == "logged_in",
                       timeout=max(deadline - time.monotonic(), 10.0), interval=0.2)
            return {**response.json(), **self.status(token, device_id)}
        return response.json()

    def linked_device(self, token: str, phone: str | None = None) -> dict:
        device = self.create_device(token)
        self.link(token, device["id"], phone)
        return device

    def send_text(self, token: str, device_id: str, to: str, text: str) -> str:
        """Queue a text from the device (its public deviceId); the message's id."""
        accepted = self.http.post("/api/messages", headers=self.auth(token), json={
            "deviceId": device_id, "to": to, "text": text})
        assert accepted.status_code == 202, accepted.text
        return str(accepted.json()["id"])

    def message_status(self, token: str, message_id: str) -> str:
        return str(self.http.get(f"/api/messages/{message_id}",
                                 headers=self.auth(token)).json()["status"])


# --- deployments ------------------------------------------------------------------------


class Deployment:
    """One database and data dir, and the wapiz processes started against them."""

    def __init__(self, backend: str, root: Path) -> None:
        self.backend = backend
        self.root = root
        self.data_dir = root / "data"
        self._database = database_for(backend, self.data_dir)
        self.database_url = self._database.__enter__()
        self.processes: list[WapizProcess] = []

    def env(self, **settings: str) -> dict[str, str]:
        return child_env(self.database_url, self.data_dir, **settings)

    def _start(self, args: list[str], port: bool, prefix: Sequence[str] = (),
               database_url: str | None = None, **settings: str) -> WapizProcess:
        name = f"{args[0]}-{len(self.processes)}.log"
        env = child_env(database_url or self.database_url, self.data_dir, **settings)
        process = WapizProcess(args, env, self.root / name,
                               port=free_port() if port else None, prefix=list(prefix))
        self.processes.append(process)
        return process.start()

    def serve(self, **settings: str) -> WapizProcess:
        """API + supervised runner, as `make run` starts them."""
        return self._start(["serve"], port=True, **settings)

    def serve_with_linked_device(self, **settings: str) -> tuple[WapizProcess, "Api", str, dict]:
        """`wapiz serve`, a new user, and a device of theirs linked to a sandbox phone."""
        server = self.serve(**settings)
        api = Api(server.url)
        token, _ = api.register()
        return server, api, token, api.linked_device(token)

    def api(self, **settings: str) -> WapizProcess:
        return self._start(["api"], port=True, **settings)

    def runner(self, name: str, prefix: Sequence[str] = (), database_url: str | None = None,
               **settings: str) -> WapizProcess:
        """`wapiz runner`; with a `prefix`, started through it, and the database reached at
        `database_url` (from a network namespace: tests/netns.py)."""
        return self._start(["runner", "--name", name], port=False, prefix=prefix,
                           database_url=database_url, **settings)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return wapiz(*args, env=self.env(), check=check)

    def migrate(self) -> None:
        self.cli("migrate")

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self._database.__exit__(None, None, None)


# --- looking into the database ----------------------------------------------------------


def db_rows(database_url: str, sql: str, **params: object) -> list[tuple]:
    """Rows of one statement (committed), for assertions about what is stored."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def query() -> list[tuple]:
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(sql), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(query())


def decode_qr(png: bytes) -> str:
    """Read a QR code image the way a phone's scanner would."""
    import io

    import zxingcpp
    from PIL import Image

    # Only QR codes, and one code found twice counts once: zxing sometimes reports a
    # symbol a second time (a CI run saw "found 2" in a one-code image).
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)),
                                     formats=zxingcpp.BarcodeFormat.QRCode)
    texts = {result.text for result in results}
    assert len(texts) == 1, f"expected one QR code, found {len(texts)}: {texts}"
    return texts.pop()


class InBackground:
    """Work a test keeps going in a thread of its own while it does other things (traffic
    through a failover, say): `_run` until `stopping` is set; the thread ends on leaving the
    `with` block."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self._thread.join(30)

    def _run(self) -> None:
        raise NotImplementedError
