"""Benchmark: devices per runner, and sends and webhook deliveries with 1, 2 and 3 runners.

Everything runs as an operator would spread it over machines (docs/scaling.md), here on one:
PostgreSQL, `wapiz api` and `wapiz runner` processes started apart (tests/support.py:
Deployment). Three measurements, each a subcommand:

- `sandbox`: N sandbox devices on one `wapiz runner`, created and linked through the API
  (the sandbox's simulated phone scans each QR code). The runner's memory (PSS of the
  `wapiz runner` process and its children: the supervisor and the runner that holds the
  sessions) and CPU (user + system time over a window, as a share of one core) with 0, 1 and
  N devices (added `--step` at a time), idle and under a steady send load (each device sends
  to the next one, so the runner also receives and stores every message). The baseline is
  the same runner holding 1 device, in the same run (its first device makes it load the
  session and message code, once); per device = (with N - with 1) / (N - 1).
- `whatsmeow`: N whatsmeow devices, never linked, on one `wapiz runner` whose every dial goes
  to a loopback proxy that drops it (tests/engines/whatsmeow/proxies.py, as memory_bench.py),
  so each keeps retrying with backoff. Memory and CPU as above, with 1 device and with N (a
  whatsmeow runner starts its session-holding child only once a device exists: 1 is the
  baseline); per device = (with N - with 1) / (N - 1).
- `runners`: one `wapiz api` and 1, 2, then 3 `wapiz runner` (a fresh database each time)
  with P pairs of linked sandbox devices (pacing off) and an account webhook to a loopback
  receiver (receiver_app.py) for `message.received`. Each sender device gets a connection of
  its own posting `POST /api/messages` to its pair for a few seconds (loadgen.py), beside
  the bare handler of bare_app.py with the same bodies (send_bench.py's ratio); then the
  queue drains: the rate at which the runners send (`sent_at` in the rows), and the rate at
  which the receiver gets the deliveries, beside webhook_bench.py's bare loop of the same
  HTTP client posting the same signed body to the same receiver, in the same run.

Machines here are shared: the load average is printed beside each figure. Sizes are flags.

    .venv/bin/python bench/scale_bench.py sandbox [--devices 1000] [--seconds 30] [--rate 20]
    .venv/bin/python bench/scale_bench.py whatsmeow [--devices 500] [--seconds 60]
    .venv/bin/python bench/scale_bench.py runners [--runners 1 2 3] [--pairs 32] [--load 5]
"""

import argparse
import asyncio
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.memory_bench import memory_kb, wait_for_attempts  # noqa: E402
from bench.status_bench import DEFAULT_PG, bare_server, load, postgres_reachable  # noqa: E402
from bench.webhook_bench import bare_loop, results, start_receiver  # noqa: E402
from tests.engines.whatsmeow.proxies import LoopbackProxy  # noqa: E402
from tests.messages.parties import NO_PACING  # noqa: E402
from tests.support import (  # noqa: E402
    PG_ENV,
    Api,
    Deployment,
    WapizProcess,
    children_of,
    db_rows,
    unique_phone,
)
from wapiz.config import Settings  # noqa: E402
from wapiz.kit import loop  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A runner takes at most this many devices (issue 17); until the setting exists, the bench
# spreads devices by pausing the other runners while one claims its share.
HAS_CAPACITY = "runner_capacity" in Settings.model_fields
# While paused, a runner must not judge its own renewals late (two thirds of the TTL).
PAUSED_RUNNER_TTL_S = "60"
LINKING_THREADS = 16
MESSAGE_RECEIVED = "message.received"


# --- what a process tree costs ------------------------------------------------------------


def tree(pid: int) -> list[int]:
    """A process and every descendant (a runner's supervisor, its runners)."""
    found = [pid]
    for child in children_of(pid):
        found += tree(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system time the processes have used so far (those that exited meanwhile are
    left out: read a window's start and end over the same processes)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


def tree_pss_mb(pid: int) -> float:
    """PSS of a process tree in MB (a process that ends meanwhile counts nothing)."""
    total = 0
    for one in tree(pid):
        with suppress(OSError):
            total += memory_kb(one)[0]
    return total / 1024


def observe(process: WapizProcess, seconds: float, every: float = 2.0) -> dict[str, float]:
    """PSS (median of samples, MB) and CPU (share of one core, %) of a process tree over a
    window, and the machine's load average around it."""
    pids = tree(process.pid)
    load_before = os.getloadavg()[0]
    cpu_before, started = cpu_seconds(pids), time.monotonic()
    samples = []
    while time.monotonic() - started < seconds:
        samples.append(tree_pss_mb(process.pid))
        time.sleep(every)
    cpu = (cpu_seconds(pids) - cpu_before) / (time.monotonic() - started) * 100
    return {"pss": statistics.median(samples), "cpu": cpu, "processes": len(tree(process.pid)),
            "load": (load_before + os.getloadavg()[0]) / 2}


def machine_line() -> str:
    return (f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
            + " / ".join(f"{n:.1f}" for n in os.getloadavg()))


# --- a deployment and its devices ---------------------------------------------------------


@contextmanager
def postgres_deployment() -> Iterator[Deployment]:
    url = os.environ.get(PG_ENV) or DEFAULT_PG
    if not postgres_reachable(url):
        raise SystemExit(f"PostgreSQL does not answer at {url}: set {PG_ENV}")
    os.environ[PG_ENV] = url
    with tempfile.TemporaryDirectory() as tmp:
        deployment = Deployment("postgresql", Path(tmp))
        try:
            deployment.migrate()
            yield deployment
        finally:
            deployment.close()


def in_threads(url: str, items: list[dict], do: Callable[[Api, dict], dict]) -> list[dict]:
    """`do(api, item)` for every item, over a few threads with an HTTP client each."""

    def share(part: list[dict]) -> list[dict]:
        api = Api(url)
        try:
            return [do(api, item) for item in part]
        finally:
            api.close()

    parts = [items[n::LINKING_THREADS] for n in range(LINKING_THREADS)]
    with ThreadPoolExecutor(LINKING_THREADS) as pool:
        return [item for part in pool.map(share, parts) for item in part]


def linked_devices(api: Api, token: str, count: int) -> list[dict]:
    """`count` devices of one account, each linked to a sandbox phone of its own and with
    pacing off; each as {"id", "deviceId", "phone"}. All are added before any is linked, so
    the runner claims them together rather than one poll each."""

    def link(client: Api, device: dict) -> dict:
        phone = unique_phone()
        # As Api.link, but a busy runner may answer 202 (scanned, not yet logged in):
        # wait_logged_in checks the end.
        deadline = time.monotonic() + 120
        while (answer := client.http.post(
                f"/api/sandbox/devices/{device['id']}/link", json={"phone": phone},
                headers=client.auth(token))).status_code == 503:
            assert time.monotonic() < deadline, answer.text
            time.sleep(1)
        assert answer.status_code in (200, 202), answer.text
        answer = client.http.patch(f"/api/devices/{device['id']}/settings", json=NO_PACING,
                                   headers=client.auth(token))
        assert answer.status_code == 200, answer.text
        return {"id": device["id"], "deviceId": device["deviceId"], "phone": phone}

    return in_threads(api.url, unlinked_devices(api, token, count), link)


def unlinked_devices(api: Api, token: str, count: int) -> list[dict]:
    def create(client: Api, _: dict) -> dict:
        # A shared PostgreSQL may refuse a connection now and then ("too many clients"):
        # the API answers 500 and the device is not made; ask again.
        for _attempt in range(5):
            answer = client.http.post("/api/devices", json={}, headers=client.auth(token))
            if answer.status_code == 201:
                return dict(answer.json())
            time.sleep(1)
        raise AssertionError(answer.text)

    return in_threads(api.url, [{}] * count, create)


@contextmanager
def paused(processes: list[WapizProcess]) -> Iterator[None]:
    """SIGSTOP the processes' trees for a while (they claim nothing meanwhile)."""
    pids = [pid for process in processes for pid in tree(process.pid)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def start_runners(deployment: Deployment, count: int, devices: int) -> list[WapizProcess]:
    settings = ({"runner_capacity": str(math.ceil(devices / count))} if HAS_CAPACITY
                else {"lease_ttl_seconds": PAUSED_RUNNER_TTL_S})
    return [deployment.runner(f"bench-{n}", log_level="warning", **settings)
            for n in range(count)]


def linked_evenly(api: Api, token: str, runners: list[WapizProcess], count: int) -> list[dict]:
    """`count` linked devices spread evenly over the runners: by their capacity, or else by
    letting one runner at a time claim its share."""
    if HAS_CAPACITY:
        return linked_devices(api, token, count)
    devices: list[dict] = []
    for n, runner in enumerate(runners):
        share = count // len(runners) + (n < count % len(runners))
        with paused([other for other in runners if other is not runner]):
            devices += linked_devices(api, token, share)
    return devices


def count_rows(deployment: Deployment, sql: str) -> int:
    return int(db_rows(deployment.database_url, sql)[0][0] or 0)


def wait_logged_in(deployment: Deployment, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) FROM device_sessions WHERE logged_in AND runner IS NOT NULL"
    while (held := count_rows(deployment, sql)) < count:
        assert time.monotonic() < deadline, f"only {held} of {count} devices are logged in"
        time.sleep(1)


def spread(deployment: Deployment) -> list[int]:
    """Devices held per runner, most first."""
    rows = db_rows(deployment.database_url, "SELECT runner, count(*) FROM device_sessions "
                   "WHERE runner IS NOT NULL GROUP BY runner ORDER BY 2 DESC")
    return [int(row[1]) for row in rows]


def connections(deployment: Deployment) -> dict[str, int]:
    """Open PostgreSQL connections to the deployment's database, by application name
    (wapiz-api, wapiz-runner, wapiz-supervisor; whatsmeow's own have none)."""
    rows = db_rows(deployment.database_url, "SELECT coalesce(application_name, ''), count(*) "
                   "FROM pg_stat_activity WHERE datname = current_database() "
                   "AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1")
    return {str(name) or "(none)": int(count) for name, count in rows}


def renewal_lapses(runner: WapizProcess) -> int:
    """How often the runner let go of every session because it could not renew its leases
    in time (runner.py: _renew_forever)."""
    return runner.log_path.read_text(errors="replace").count("cannot renew leases")


def sent_so_far(deployment: Deployment) -> int:
    return count_rows(deployment, "SELECT count(*) FROM messages WHERE direction = 'outbound' "
                      "AND sent_at IS NOT NULL")


async def steady_sends(url: str, token: str, pairs: list[tuple[str, str]], rate: float,
                       seconds: float) -> int:
    """POST /api/messages at `rate` a second for `seconds`, round the (deviceId, to) pairs;
    the number accepted (202)."""
    accepted = 0

    async def one(client: httpx.AsyncClient, n: int) -> None:
        nonlocal accepted
        device_id, to = pairs[n % len(pairs)]
        answer = await client.post("/api/messages", json={
            "deviceId": device_id, "to": to, "text": f"beban {n}"})
        accepted += answer.status_code == 202

    async with httpx.AsyncClient(base_url=url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        started = time.monotonic()
        tasks = []
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(client, n)))
        await asyncio.gather(*tasks)
    return accepted


# --- sandbox: N devices on one runner -----------------------------------------------------


def bench_sandbox(args: argparse.Namespace) -> dict[str, object]:
    with postgres_deployment() as deployment:
        api_process = deployment.api(log_level="warning",
                                     plan_limits=json.dumps({"free": args.devices}))
        ttl = {"lease_ttl_seconds": str(args.lease_ttl)} if args.lease_ttl else {}
        runner = deployment.runner("bench", log_level="warning", **ttl)
        api = Api(api_process.url)
        token, _ = api.register()
        time.sleep(args.warm_up)
        empty = observe(runner, args.seconds)
        print(f"  0 devices: runner PSS {empty['pss']:.1f} MB, CPU {empty['cpu']:.1f} % "
              f"({empty['processes']} processes, load {empty['load']:.1f})", flush=True)

        # One device first: the runner loads the session and message modules with its first
        # device, a cost it pays once, not per device.
        devices = linked_devices(api, token, 1)
        wait_logged_in(deployment, 1)
        time.sleep(args.warm_up)
        one = observe(runner, args.seconds)
        print(f"  1 device: runner PSS {one['pss']:.1f} MB, CPU {one['cpu']:.1f} % "
              f"(load {one['load']:.1f})", flush=True)

        # In steps: a runner that finds 1,000 new devices at once starts them all in one
        # tick, and on a loaded machine its lease renewal then misses its deadline
        # (bench/README.md); `--step 0` adds them all at once.
        started = time.monotonic()
        step = args.step or args.devices
        try:
            while len(devices) < args.devices:
                devices += linked_devices(api, token, min(step, args.devices - len(devices)))
                wait_logged_in(deployment, len(devices))
        except AssertionError:  # the runner's log goes with the run: its tail first
            print(f"  stalled at {len(devices)} devices; {renewal_lapses(runner)} lease renewal "
                  f"lapses; the runner's log ends:\n{runner.log()}", flush=True)
            raise
        linking = time.monotonic() - started
        print(f"  {args.devices - 1} more devices created and linked in {linking:.0f} s",
              flush=True)
        time.sleep(args.warm_up)
        idle = observe(runner, args.seconds)
        print(f"  {args.devices} devices idle: runner PSS {idle['pss']:.1f} MB, CPU "
              f"{idle['cpu']:.1f} % (load {idle['load']:.1f})", flush=True)

        pairs = [(device["deviceId"], devices[(n + 1) % len(devices)]["phone"])
                 for n, device in enumerate(devices)]
        sent_before = sent_so_far(deployment)
        sending: dict[str, int] = {}
        sender = threading.Thread(target=lambda: sending.update(accepted=loop.run(
            steady_sends(api.url, token, pairs, args.rate, args.seconds + 2))))
        sender.start()
        time.sleep(1)
        busy = observe(runner, args.seconds)
        sent = sent_so_far(deployment) - sent_before
        busy["connections"] = connections(deployment)
        sender.join()
        print(f"  {args.devices} devices, {args.rate:g} sends/s offered: runner PSS "
              f"{busy['pss']:.1f} MB, CPU {busy['cpu']:.1f} %, {sent} sent in the window "
              f"(load {busy['load']:.1f}); PostgreSQL connections {busy['connections']}",
              flush=True)
        api_pss = tree_pss_mb(api_process.pid)
        api.close()
        lapses = renewal_lapses(runner)

    per_device_kb = (idle["pss"] - one["pss"]) / (args.devices - 1) * 1024
    per_device_cpu = (idle["cpu"] - one["cpu"]) / (args.devices - 1)
    cpu_per_message_ms = ((busy["cpu"] - idle["cpu"]) / 100 * args.seconds / max(sent, 1)
                          * 1000)
    print(f"  per additional device: {per_device_kb:.0f} kB PSS; idle CPU "
          f"{per_device_cpu * 1000:.1f} % of a core per 1,000 devices; per message sent under "
          f"load: {cpu_per_message_ms:.1f} ms of runner CPU (its send, and its receipt on the "
          f"other device); API PSS {api_pss:.1f} MB; {lapses} lease renewal lapses")
    return {"empty": empty, "one": one, "idle": idle, "busy": busy, "sent": sent,
            "linking_s": linking,
            "per_device_kb": per_device_kb, "per_device_cpu_pct": per_device_cpu,
            "cpu_per_message_ms": cpu_per_message_ms, "api_pss": api_pss,
            "renewal_lapses": lapses}


# --- whatsmeow: N devices dialling a refusing proxy ---------------------------------------


def bench_whatsmeow(args: argparse.Namespace) -> dict[str, object]:
    proxy = LoopbackProxy()
    try:
        with postgres_deployment() as deployment:
            settings = {"engine": "whatsmeow", "log_level": "warning"}
            api_process = deployment.api(plan_limits=json.dumps({"free": args.devices}),
                                         **settings)
            runner = deployment.runner("bench", proxy=proxy.url,
                                       reconnect_max_seconds=str(args.backoff_cap), **settings)
            api = Api(api_process.url)
            token, _ = api.register()
            figures = {}
            for count in (1, args.devices):
                unlinked_devices(api, token, count - len(figures))
                wait_for_attempts(proxy, count)
                time.sleep(args.warm_up)
                dials = len(proxy.accepted)
                figures[count] = observe(runner, args.seconds)
                figures[count]["dials_per_s"] = (len(proxy.accepted) - dials) / args.seconds
                figures[count]["connections"] = connections(deployment)
                f = figures[count]
                print(f"  {count} devices: runner PSS {f['pss']:.1f} MB, CPU {f['cpu']:.1f} %, "
                      f"{f['dials_per_s']:.1f} dials/s ({f['processes']} processes, load "
                      f"{f['load']:.1f}); PostgreSQL connections {f['connections']}",
                      flush=True)
            recycles = sum(process.log_path.read_text().count("asks to be recycled")
                           for process in deployment.processes)
            lapses = renewal_lapses(runner)
            api.close()
    finally:
        proxy.close()
    one, many = figures[1], figures[args.devices]
    per_device_kb = (many["pss"] - one["pss"]) / (args.devices - 1) * 1024
    per_device_cpu = (many["cpu"] - one["cpu"]) / (args.devices - 1)
    print(f"  per additional device: {per_device_kb:.0f} kB PSS; CPU "
          f"{per_device_cpu * 1000:.1f} % of a core per 1,000 devices (backoff cap "
          f"{args.backoff_cap:g} s); {recycles} recycles, {lapses} lease renewal lapses")
    return {"figures": figures, "per_device_kb": per_device_kb,
            "per_device_cpu_pct": per_device_cpu, "recycles": recycles,
            "renewal_lapses": lapses}


# --- runners: sends and deliveries with 1, 2 and 3 runners --------------------------------


def bench_runners(count: int, args: argparse.Namespace) -> dict[str, float]:
    receiver, receiver_url = start_receiver()
    try:
        with postgres_deployment() as deployment:
            api_process = deployment.api(log_level="warning",
                                         plan_limits=json.dumps({"free": 2 * args.pairs}))
            runners = start_runners(deployment, count, 2 * args.pairs)
            api = Api(api_process.url)
            token, _ = api.register()
            hook = api.http.patch("/api/webhook", headers=api.auth(token), json={
                "webhookUrl": receiver_url + "/hook", "events": [MESSAGE_RECEIVED]})
            assert hook.status_code == 200, hook.text
            devices = linked_evenly(api, token, runners, 2 * args.pairs)
            wait_logged_in(deployment, 2 * args.pairs)
            held = spread(deployment)
            bodies = [json.dumps({"deviceId": devices[2 * n]["deviceId"],
                                  "to": devices[2 * n + 1]["phone"],
                                  "text": "Halo dari benchmark"}).encode()
                      for n in range(args.pairs)]

            with tempfile.TemporaryDirectory() as tmp:
                bare = bare_server(Path(tmp))
                try:
                    base = load(bare.port, "/api/messages", {}, args.pairs, args.load, bodies,
                                202)
                finally:
                    bare.stop()
            load_before = os.getloadavg()[0]
            runner_pids = [pid for runner in runners for pid in tree(runner.pid)]
            api_pids = tree(api_process.pid)
            cpu_before = cpu_seconds(runner_pids), cpu_seconds(api_pids)
            accepted = load(api_process.port, "/api/messages", api.auth(token), args.pairs,
                            args.load, bodies, 202)
            total = count_rows(deployment, "SELECT count(*) FROM messages "
                               "WHERE direction = 'outbound'")
            arrived: list[tuple[float, str]] = []
            deadline = time.monotonic() + args.drain_timeout
            while (len({json.loads(body)["data"]["id"] for _, body in arrived}) < total
                   and time.monotonic() < deadline):
                time.sleep(1)
                arrived += results(receiver_url)
            load_after = os.getloadavg()[0]
            cpu = (cpu_seconds(runner_pids) - cpu_before[0], cpu_seconds(api_pids) - cpu_before[1])
            in_use = connections(deployment)
            lapses = sum(renewal_lapses(runner) for runner in runners)
            sent, sent_span = db_rows(deployment.database_url, """
                SELECT count(*), extract(epoch FROM max(sent_at) - min(sent_at))
                FROM messages WHERE direction = 'outbound' AND sent_at IS NOT NULL""")[0]
            api.close()
        # The bare loop: the same client posting the same signed body to the same receiver,
        # one after another, on the event loop WAPIZ's processes use.
        bare_rate = loop.run(bare_loop(receiver_url, arrived[0][1], args.bare_posts))
        results(receiver_url)
    finally:
        receiver.terminate()
        receiver.wait(10)
    times = sorted(at for at, _ in arrived)
    delivered = len({json.loads(body)["data"]["id"] for _, body in arrived})
    return {"runners": count, "spread": held, "bare_accept": base.rps,
            "accepted": accepted.rps, "accept_errors": accepted.errors, "total": total,
            "sent": int(sent), "sent_per_s": int(sent) / float(sent_span or 1),
            "delivered": delivered, "delivered_per_s": delivered / max(times[-1] - times[0], 1e-3),
            "bare_deliver": bare_rate, "load": (load_before + load_after) / 2,
            "runner_cpu_ms_per_message": cpu[0] / max(int(sent), 1) * 1000,
            "api_cpu_ms_per_message": cpu[1] / max(int(sent), 1) * 1000,
            "connections": in_use, "renewal_lapses": lapses}


def run_runners(args: argparse.Namespace) -> list[dict[str, float]]:
    print(f"runners: one wapiz api and 1..3 wapiz runner (PostgreSQL, sandbox), {args.pairs} "
          f"sending devices and {args.pairs} receiving, {args.load:g} s of POSTs at "
          f"{args.pairs} connections, then the queue drains")
    print(f"{'runners':>7} {'devices held':>14} {'bare POST/s':>11} {'accepted/s':>10} "
          f"{'ratio':>5} {'sent/s':>7} {'delivered/s':>11} {'bare loop/s':>11} {'ratio':>5} "
          f"{'sent/queued':>12} {'CPU ms/msg runners+API':>22} {'load':>5}")
    rows = []
    for count in args.runners:
        row = bench_runners(count, args)
        rows.append(row)
        print(f"{count:>7} {'/'.join(map(str, row['spread'])):>14} {row['bare_accept']:>11.0f} "
              f"{row['accepted']:>10.0f} {row['accepted'] / row['bare_accept']:>5.2f} "
              f"{row['sent_per_s']:>7.0f} {row['delivered_per_s']:>11.0f} "
              f"{row['bare_deliver']:>11.0f} {row['delivered_per_s'] / row['bare_deliver']:>5.2f} "
              f"{row['sent']:>6}/{row['total']:<5} "
              f"{row['runner_cpu_ms_per_message']:>11.1f} + {row['api_cpu_ms_per_message']:<8.1f} "
              f"{row['load']:>5.1f}  PostgreSQL connections {row['connections']}; "
              f"{row['renewal_lapses']} lease renewal lapses", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="N sandbox devices on one runner")
    sandbox.add_argument("--devices", type=int, default=1000)
    sandbox.add_argument("--seconds", type=float, default=30.0, help="each window measured")
    sandbox.add_argument("--warm-up", type=float, default=15.0)
    sandbox.add_argument("--rate", type=float, default=20.0, help="sends a second offered")
    sandbox.add_argument("--step", type=int, default=100,
                         help="devices added at a time (0: all at once)")
    sandbox.add_argument("--lease-ttl", type=float,
                         help="the runner's WAPIZ_LEASE_TTL_SECONDS (default: its own, 10)")
    whatsmeow = commands.add_parser("whatsmeow", help="N whatsmeow devices, refusing proxy")
    whatsmeow.add_argument("--devices", type=int, default=500)
    whatsmeow.add_argument("--seconds", type=float, default=60.0)
    whatsmeow.add_argument("--warm-up", type=float, default=30.0)
    whatsmeow.add_argument("--backoff-cap", type=float, default=60.0,
                           help="WAPIZ_RECONNECT_MAX_SECONDS (the default: 60)")
    runners = commands.add_parser("runners", help="sends and deliveries with N runners")
    runners.add_argument("--runners", type=int, nargs="+", default=[1, 2, 3])
    runners.add_argument("--pairs", type=int, default=32,
                         help="sender devices (each with a receiving device, and a connection)")
    runners.add_argument("--load", type=float, default=5.0, help="seconds of POSTs")
    runners.add_argument("--drain-timeout", type=float, default=300.0)
    runners.add_argument("--bare-posts", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    if args.command == "sandbox":
        print(f"sandbox: {args.devices} devices on one runner (PostgreSQL)")
        figures: object = bench_sandbox(args)
    elif args.command == "whatsmeow":
        print(f"whatsmeow: {args.devices} devices dialling a refusing loopback proxy, one runner"
              " (PostgreSQL)")
        figures = bench_whatsmeow(args)
    else:
        figures = run_runners(args)
    print(machine_line())
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
