"""Fencing under a real network partition, on PostgreSQL.

Two `wapiz runner` processes, each in a network namespace of its own, reach PostgreSQL over
a veth link (tests/netns.py). The link of the runner holding the devices is cut while
messages flow both ways: it must stop its sessions before its lease can lapse, the other
runner must take the devices and keep the messages going, and once the link is back the
cut runner must not write a single row for those devices. Which session wrote what is told
by the tables themselves: a trigger on every table records each written row with the
client port of the session that wrote it, and each link's forwarder knows its ports.
"""

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests import netns
from tests.support import (
    PG_ENV,
    Api,
    Deployment,
    InBackground,
    _admin,
    _run,
    db_rows,
    unique_phone,
    wait_until,
)

# Several processes of its own: starting them all can take a while; the cut's timing is
# measured with nothing else running (`make test`).
pytestmark = [pytest.mark.timeout(300), pytest.mark.alone]

DEVICES = 3
LEASE_TTL_S = 10.0  # the default
PLANS = f'{{"free": {DEVICES}}}'
AUDIT = """
CREATE TABLE partition_audit (
    id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(),
    port int, tbl text NOT NULL, op text NOT NULL, row_text text);
CREATE FUNCTION partition_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partition_audit (port, tbl, op, row_text)
    VALUES (inet_client_port(), TG_TABLE_NAME, TG_OP,
            (to_jsonb(COALESCE(NEW, OLD)) - 'data')::text);
    RETURN NULL;
END $$;
DO $$ DECLARE t text; BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
             AND tablename NOT IN ('partition_audit', 'alembic_version') LOOP
        EXECUTE format('CREATE TRIGGER partition_audit AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION partition_audit()', t);
    END LOOP;
END $$;
"""


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    if not os.environ.get(PG_ENV):
        pytest.skip(f"the partition test runs on PostgreSQL: set {PG_ENV}")
    if (reason := netns.unavailable()) is not None:
        pytest.skip(reason)
    deployment = Deployment("postgresql", tmp_path)
    try:
        yield deployment
    finally:
        deployment.close()


def _log_time(process_log: Path, words: str) -> float | None:
    """When (epoch seconds) the process first logged a line with `words`."""
    for line in process_log.read_text(errors="replace").splitlines():
        if words in line:
            return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return None


class Traffic(InBackground):
    """Messages both ways for each device, until stopped: a text from each device to the
    next one's number (so it also arrives there as inbound), and a text injected from an
    outside number (the sandbox's phone), through either API node."""

    def __init__(self, apis: list[Api], token: str, devices: list[dict], phones: list[str]):
        self.apis, self.token, self.devices, self.phones = apis, token, devices, phones
        self.sent: list[tuple[str, float]] = []  # (message id, accepted at)
        self.injected: list[tuple[str, str]] = []  # (device id, WhatsApp id)
        super().__init__()

    def _run(self) -> None:
        round_ = 0
        while not self.stopping.is_set():
            api = self.apis[round_ % len(self.apis)]
            for index, device in enumerate(self.devices):
                to = self.phones[(index + 1) % len(self.phones)]
                self.sent.append((api.send_text(self.token, device["deviceId"], to,
                                                f"r{round_} d{index}"), time.time()))
                injected = api.http.post(f"/api/sandbox/devices/{device['id']}/inbound",
                                         headers=api.auth(self.token),
                                         json={"from": "6281999000111", "text": f"in {round_}"})
                # (409 while no runner holds the device: the phone sees it unlinked then.)
                assert injected.status_code in (202, 409), injected.text
                if injected.status_code == 202:
                    self.injected.append((device["id"], injected.json()["waMessageId"]))
            round_ += 1
            self.stopping.wait(0.5)


def test_a_cut_off_runner_lets_go_in_time_and_never_writes_again(
        deployment: Deployment) -> None:
    deployment.migrate()
    _run(_admin(deployment.database_url, AUDIT))
    apis = [Api(deployment.api(plan_limits=PLANS).url) for _ in range(2)]
    url = deployment.database_url
    with netns.links(2) as (cut_link, other_link):
        cut = deployment.runner("cut", prefix=cut_link.exec_prefix,
                                database_url=cut_link.database_url(url))
        token, _ = apis[0].register()
        phones = [unique_phone() for _ in range(DEVICES)]
        devices = [apis[0].linked_device(token, phone) for phone in phones]
        ids = [d["id"] for d in devices]
        for device_id in ids:  # no pacing: the queue keeps up with the traffic
            paced = apis[0].http.patch(f"/api/devices/{device_id}/settings",
                                       headers=apis[0].auth(token),
                                       json={"minDelayMs": 0, "maxDelayMs": 0, "typing": False})
            assert paced.status_code == 200, paced.text
        takeover = deployment.runner("takeover", prefix=other_link.exec_prefix,
                                     database_url=other_link.database_url(url))
        wait_until(lambda: _log_time(takeover.log_path, "starting"), 60)

        def holders() -> dict[str, tuple[str, int]]:
            return {str(d): (r, e) for d, r, e in _rows(
                url, "SELECT device_id, runner, epoch FROM device_sessions "
                     "WHERE CAST(device_id AS text) = ANY(:ids)", ids=ids)}

        before = holders()
        assert all(runner.startswith("cut:") for runner, _ in before.values()), before
        with Traffic(apis, token, devices, phones) as traffic:
            # Flowing through the runner about to be cut.
            wait_until(lambda: len(_settled(url, traffic)) >= 2 * DEVICES, 30, interval=0.5)
            assert _rows_of(url, cut_link.ports, after=0.0), "the audit sees the cut runner"

            cut_link.cut()
            cut_at = time.time()
            # The lease as the database holds it (a renewal already on its way has landed).
            time.sleep(0.5)
            [[expires_at]] = _rows(url, "SELECT EXTRACT(EPOCH FROM MIN(lease_expires_at)) "
                                          "FROM device_sessions WHERE runner LIKE 'cut:%'")
            # Any API node asks the device's session while its holder is cut off: the runner
            # that takes the device over answers.
            asked: dict[str, object] = {}
            asking = threading.Thread(target=lambda: asked.update(
                _check(apis[1], token, ids[0], phones[1])))
            asking.start()

            stopped_at = wait_until(
                lambda: _log_time(cut.log_path, f"stopped {DEVICES} sessions"), 3 * LEASE_TTL_S)
            taken_at = wait_until(lambda: all(
                r.startswith("takeover:") for r, _ in holders().values()) and time.time(),
                3 * LEASE_TTL_S, interval=0.2)
            flowing_at = wait_until(lambda: _first_sent_after(url, ids, cut_at),
                                    3 * LEASE_TTL_S, interval=0.2)
            asking.join(60)

            cut_link.restore()
            restored_at = time.time()
            # The cut runner's connections come back to life; it runs on, holding nothing.
            time.sleep(8)
            assert cut.process is not None and cut.process.poll() is None, cut.log()
        # Every message accepted, before, during or after the cut, goes out.
        wait_until(lambda: len(_settled(url, traffic)) == len(traffic.sent), 60, interval=0.5)
        # And every message sent to them has arrived (checked below: once each).
        with contextlib.suppress(AssertionError):
            wait_until(lambda: set(traffic.injected) <= set(_inbound_counts(url)), 30,
                       interval=0.5)

    timings = {"stopped": stopped_at - cut_at, "lease expired": float(expires_at) - cut_at,
               "taken over": taken_at - cut_at, "sends flowing": flowing_at - cut_at,
               "link back": restored_at - cut_at}
    print("partition timings (s after the cut):",
          {name: round(value, 2) for name, value in timings.items()})
    # It let go of its sessions before its lease could lapse; the other took them after.
    assert stopped_at < float(expires_at) <= taken_at + 0.5, timings
    assert asked.get("status") == 200, asked
    after = holders()
    assert all(runner.startswith("takeover:") and epoch > before[d][1]
               for d, (runner, epoch) in after.items()), (before, after)

    # Not a row for those devices from the cut runner once it was cut off: not a state
    # write, a message taken or settled, an inbound message, an event, a request's answer,
    # a sandbox mail acknowledged or a QR code published.
    stale = [row for row in _rows_of(url, cut_link.ports, after=cut_at + 1.0)
             if any(key in row[2] for key in [*ids, *phones])]
    assert stale == [], stale

    # Each injected message stored once, at its device.
    counts = _inbound_counts(url)
    assert all(counts.get(pair) == 1 for pair in traffic.injected), [
        (index, pair, counts.get(pair)) for index, pair in enumerate(traffic.injected)
        if counts.get(pair) != 1]
    for api in apis:
        api.close()


def _settled(url: str, traffic: Traffic) -> dict[str, float]:
    """The traffic's sends that went out, with when they were accepted."""
    accepted = dict(traffic.sent)
    rows = _rows(url, "SELECT CAST(id AS text) FROM messages WHERE direction = 'outbound' "
                        "AND status IN ('sent', 'delivered', 'read')")
    return {message_id: accepted[message_id] for (message_id,) in rows
            if message_id in accepted}


def _inbound_counts(url: str) -> dict[tuple[str, str], int]:
    """(device, WhatsApp id) → how many inbound rows."""
    stored = _rows(url, "SELECT CAST(device_id AS text), wa_message_id, COUNT(*) "
                        "FROM messages WHERE direction = 'inbound' GROUP BY 1, 2")
    return {(device, wa_id): count for device, wa_id, count in stored}


def _rows(url: str, sql: str, **params: object) -> list[tuple]:
    """db_rows, waiting out a server whose connections other tests have used up."""
    for _ in range(20):
        try:
            return db_rows(url, sql, **params)
        except Exception as exc:
            if "too many clients" not in str(exc):
                raise
            time.sleep(0.5)
    return db_rows(url, sql, **params)


def _first_sent_after(url: str, ids: list[str], moment: float) -> float | None:
    """When the first of these devices' messages went out after a moment (epoch s)."""
    [[first]] = _rows(url, "SELECT EXTRACT(EPOCH FROM MIN(sent_at)) FROM messages "
                             "WHERE CAST(device_id AS text) = ANY(:ids) "
                             "AND sent_at > to_timestamp(:moment)", ids=ids, moment=moment)
    return None if first is None else float(first)


def _rows_of(url: str, ports: set[int], after: float) -> list[tuple[str, str, str]]:
    """The rows written by these sessions (client ports) after a moment (epoch seconds)."""
    return [(table, op, text) for table, op, text in _rows(
        url, "SELECT tbl, op, row_text FROM partition_audit WHERE port = ANY(:ports) "
             "AND at > to_timestamp(:after) ORDER BY id", ports=list(ports), after=after)]


def _check(api: Api, token: str, device_id: str, phone: str) -> dict[str, object]:
    started = time.monotonic()
    try:
        response = api.http.post(f"/api/devices/{device_id}/check", headers=api.auth(token),
                                 json={"phones": [phone]}, timeout=90)
    except httpx.HTTPError as exc:
        return {"error": repr(exc)}
    return {"status": response.status_code, "body": response.text,
            "after": time.monotonic() - started}
