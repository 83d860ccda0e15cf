"""Prometheus metrics, scraped from real processes as Prometheus would (docs/metrics.md):
`wapiz serve` at GET /metrics with the token (its runner's metrics included, through a
restart of the runner), and `wapiz api` + `wapiz runner` on their metrics ports. After a
linked device, a sent message, a delivered webhook, a failed login and a connected event
stream, the series say what happened; the Grafana dashboard asks only for series that exist.
"""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.events.streams import sse
from tests.support import Api, Deployment, free_port, wait_until
from tests.webhooks.receiver import Receiver, running_receiver
from wapiz.kit import metrics as metrics_port
from wapiz.kit.metrics import ChildMetrics

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
# How long the figures read from the database may be older than the scrape, and how long a
# runner's lease gauge may wait for its next renewal (a third of the 10 s TTL), with margin.
FRESH_S = 20.0
Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> tuple[Series, list[str]]:
    """The samples by (name, labels), and the families' names in the order given."""
    series: Series = {}
    families = []
    for family in text_string_to_metric_families(text):
        families.append(family.name)
        for sample in family.samples:
            series[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return series, families


def scrape(url: str, headers: dict[str, str] | None = None) -> Series:
    answer = httpx.get(url + "/metrics", headers=headers or {}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    series, families = parse(answer.text)
    duplicated = {name for name in families if families.count(name) > 1}
    assert not duplicated, f"families exported twice: {duplicated}"
    return series


def value(series: Series, name: str, **labels: str) -> float | None:
    return series.get((name, frozenset(labels.items())))


Key = tuple[str, frozenset[tuple[str, str]]]


def key(name: str, **labels: str) -> Key:
    return name, frozenset(labels.items())


def eventually(url: str, expected: dict[Key, float],
               headers: dict[str, str] | None = None) -> Series:
    """A scrape in which every series has its expected value (gauges are read on a timer,
    and runners and dispatchers count as they get to it)."""
    def scraped() -> Series | None:
        series = scrape(url, headers)
        return series if all(series.get(k) == v for k, v in expected.items()) else None

    try:
        return wait_until(scraped, FRESH_S, interval=0.5)
    except AssertionError:
        series = scrape(url, headers)
        wrong = {k: (series.get(k), v) for k, v in expected.items() if series.get(k) != v}
        raise AssertionError(f"(got, expected): {wrong}") from None


@pytest.fixture(autouse=True)
def _patient_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server here starts two or three processes; on a machine shared with other test runs
    that can take longer than the usual allowance."""
    monkeypatch.setattr("tests.support.STARTUP_TIMEOUT_S", 120.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def _dead_port() -> int:
    """A loopback port nobody listens on (a broker that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_exports_what_happened_to_the_token_holder_only(
        deployment: Deployment, receiver: Receiver) -> None:
    deployment.migrate()
    server = deployment.serve(metrics_token=TOKEN, plan_limits='{"free": 2}',
                              events_nats_url=f"nats://127.0.0.1:{_dead_port()}")
    api = Api(server.url)
    try:
        # Refused without the token, with a wrong one, and with a user's own token.
        token, _ = api.register()
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, api.auth(token)):
            refused = httpx.get(server.url + "/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["code"] == "metrics_token_required"
        assert "wapiz_" not in refused.text

        device = api.linked_device(token)
        hook = api.http.patch(f"/api/devices/{device['id']}/webhook", headers=api.auth(token),
                              json={"webhookUrl": receiver.url})
        assert hook.status_code == 200, hook.text
        message = api.send_text(token, device["deviceId"], "6281200000001", "halo")
        wait_until(lambda: api.message_status(token, message) not in ("queued", "sending"), 30)
        assert api.message_status(token, message) in ("sent", "delivered", "read")
        # A second device, never linked: its message waits in the queue, and one of the
        # first's is scheduled for tomorrow.
        waiting = api.create_device(token)
        api.send_text(token, waiting["deviceId"], "6281200000002", "nanti")
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        scheduled = api.http.post("/api/messages", headers=api.auth(token), json={
            "deviceId": device["deviceId"], "to": "6281200000003", "text": "besok",
            "sendAt": tomorrow})
        assert scheduled.status_code == 202, scheduled.text
        failed_login = api.http.post("/api/auth/login", json={
            "email": "nobody@example.com", "password": "salah12345"})
        assert failed_login.status_code == 401

        with sse(api, token):
            series = eventually(server.url, {key("wapiz_event_stream_clients"): 1}, BEARER)
        assert value(series, "wapiz_login_failures_total", reason="bad_credentials") == 1
        assert value(series, "wapiz_login_failures_total", reason="throttled") == 0
        # The runner child's, read from its files by `serve`; and the database's figures,
        # cluster-wide.
        series = eventually(server.url, {
            key("wapiz_send_duration_seconds_count", outcome="sent"): 1,
            key("wapiz_send_duration_seconds_count", outcome="error"): 0,
            key("wapiz_leases_claimed_total"): 2,
            key("wapiz_leases_held"): 2,
            key("wapiz_devices", status="logged_in"): 1,
            key("wapiz_devices", status="connected"): 1,  # the second, showing its QR
            key("wapiz_devices", status="disconnected"): 0,
            key("wapiz_send_queue_messages", state="due"): 1,
            key("wapiz_send_queue_messages", state="scheduled"): 1,
            key("wapiz_send_queue_messages", state="sending"): 0,
            key("wapiz_media_unneeded_objects"): 0,
        }, BEARER)
        assert (value(series, "wapiz_send_queue_oldest_age_seconds") or 0) > 0

        def delivered() -> Series | None:  # every event the receiver got, and no other
            got = len(receiver.received)
            series = scrape(server.url, BEARER)
            counted = value(series, "wapiz_webhook_delivery_duration_seconds_count",
                            outcome="success")
            return series if got and counted == got else None

        series = wait_until(delivered, FRESH_S, interval=0.5)
        assert value(series, "wapiz_webhook_delivery_duration_seconds_count",
                     outcome="http_error") == 0
        # The broker that is down: failures counted, every event waiting.
        assert (value(series, "wapiz_output_failures_total", output="nats") or 0) >= 1
        assert value(series, "wapiz_output_published_total", output="nats") == 0
        assert (value(series, "wapiz_output_backlog_events", output="nats") or 0) >= 1
        assert (value(series, "wapiz_output_lag_seconds", output="nats") or 0) > 0

        # The phone removes the linked device: a new pairing, counted with its reason.
        unlinked = api.http.post(f"/api/sandbox/devices/{device['id']}/unlink",
                                 headers=api.auth(token))
        assert unlinked.status_code == 200, unlinked.text
        series = eventually(server.url,
                            {key("wapiz_reconnects_total", reason="removed_from_phone"): 1},
                            BEARER)
        _dashboard_asks_only_for(series)

        # The runner dies and is started again: its counts stay, its gauge is not doubled.
        (runner,) = server.runner_pids()
        os.kill(runner, signal.SIGKILL)
        wait_until(lambda: server.runner_pids() and server.runner_pids() != [runner], 30)
        eventually(server.url, {
            key("wapiz_leases_claimed_total"): 4,
            key("wapiz_leases_held"): 2,  # the dead runner's 2 no longer count
            key("wapiz_send_duration_seconds_count", outcome="sent"): 1,
            key("wapiz_runner_exits_total", cause="crashed"): 1,
        }, BEARER)
    finally:
        api.close()


def _dashboard_asks_only_for(series: Series) -> None:
    """Every metric a panel of docs/grafana-dashboard.json queries is in the scrape."""
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"]
             for target in panel.get("targets", [])]
    assert len(exprs) >= 10
    asked = {name for expr in exprs for name in re.findall(r"\bwapiz_[a-z_]+", expr)}
    exported = {name for name, _ in series}
    assert asked and asked <= exported, f"not exported: {sorted(asked - exported)}"


def test_a_runner_is_scraped_on_its_own_port(deployment: Deployment) -> None:
    """`wapiz api` and `wapiz runner`: the API's port has no /metrics without a token; its
    metrics port (loopback, no token set) and the runner's (with the token) do."""
    deployment.migrate()
    api_metrics, runner_metrics = free_port(), free_port()
    server = deployment.api(metrics_port=str(api_metrics))
    runner = deployment.runner("r1", metrics_port=str(runner_metrics), metrics_token=TOKEN)
    api = Api(server.url)
    try:
        assert httpx.get(server.url + "/metrics", headers=BEARER).status_code == 404
        token, _ = api.register()
        device = api.linked_device(token)
        message = api.send_text(token, device["deviceId"], "6281200000001", "halo")
        wait_until(lambda: api.message_status(token, message) not in ("queued", "sending"), 30)

        # The runner child writes into a folder of its supervisor's, gone when it stops.
        (child,) = runner.runner_pids()
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        (folder,) = [Path(item.split(b"=", 1)[1].decode()) for item in environ
                     if item.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
        assert any(folder.glob("*.db"))
        runner_url = f"http://127.0.0.1:{runner_metrics}"
        assert httpx.get(runner_url + "/metrics").status_code == 401
        series = eventually(runner_url, {
            key("wapiz_leases_held"): 1,
            key("wapiz_send_duration_seconds_count", outcome="sent"): 1}, BEARER)
        assert ("wapiz_devices", frozenset({("status", "logged_in")})) not in series

        api_url = f"http://127.0.0.1:{api_metrics}"
        series = eventually(api_url, {key("wapiz_devices", status="logged_in"): 1})
        assert ("wapiz_leases_held", frozenset()) not in series  # the runner's, not here
        assert httpx.get(api_url + "/other").status_code == 404
    finally:
        api.close()
        runner.stop()
        server.stop()
    assert not folder.exists()


async def test_the_metrics_port_cuts_off_clients_that_hold_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection that sends nothing is closed after the time limit; one beyond the limit
    on connections at once is closed straight away; a scrape still gets its answer."""
    monkeypatch.setattr(metrics_port, "REQUEST_TIMEOUT_S", 2.0)

    async def render() -> bytes:
        return b"wapiz_up 1\n"

    server = await metrics_port.start_metrics("127.0.0.1", 0, None, render)
    port = server.sockets[0].getsockname()[1]
    try:
        held = [await asyncio.open_connection("127.0.0.1", port)
                for _ in range(metrics_port.MAX_SCRAPES)]
        await asyncio.sleep(0.1)  # each is being answered (waiting for its request)
        extra_reader, extra_writer = await asyncio.open_connection("127.0.0.1", port)
        # Closed at once, long before the time limit.
        assert await asyncio.wait_for(extra_reader.read(), 0.5) == b""
        extra_writer.close()
        for reader, writer in held:  # silent: cut off after the limit
            assert await asyncio.wait_for(reader.read(), 4) == b""
            writer.close()
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert answer.status_code == 200 and answer.content == b"wapiz_up 1\n"
    finally:
        server.close()
        await server.wait_closed()


def test_an_ended_runners_counts_stay_and_its_files_go() -> None:
    """Runner children that end (a recycle, a crash) leave their counts in the sums and no
    files of their own: one file of ended children's totals per kind, however many ended."""
    children = ChildMetrics()
    script = ("from prometheus_client import Counter, Histogram\n"
              "Counter('wapiz_test_sends', 'sends').inc({n})\n"
              "Histogram('wapiz_test_seconds', 'seconds').observe(0.2)\n")
    try:
        for n in (3, 2, 4):
            child = subprocess.Popen([sys.executable, "-c", script.format(n=n)],
                                     env={**os.environ, **children.env()})
            assert child.wait(30) == 0
            children.ended(child.pid)
        assert sorted(path.name for path in Path(children.path).iterdir()) == [
            "counter_ended.db", "histogram_ended.db"]
        series = {(sample.name, frozenset(sample.labels.items())): sample.value
                  for family in text_string_to_metric_families(children.text().decode())
                  for sample in family.samples}
        assert series[("wapiz_test_sends_total", frozenset())] == 9
        assert series[("wapiz_test_seconds_count", frozenset())] == 3
        assert series[("wapiz_test_seconds_bucket", frozenset({("le", "0.25")}))] == 3
    finally:
        children.close()
