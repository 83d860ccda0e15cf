"""Benchmark: memory of all WAPIZ processes with 1, 30 and 200 whatsmeow devices, over time.

The devices are not linked and cannot reach WhatsApp: every dial goes to a loopback proxy
that drops it, so each device keeps retrying with backoff, as on a machine without a route
to WhatsApp. For each count it starts a real `wapiz serve` (API + supervised runner,
whatsmeow engine, SQLite), adds the devices over HTTP, lets them retry for a while, and
samples the memory of the serve process and its runner every few seconds for ten minutes:
after a warm-up it must stay flat however many dials are made, with no recycle. Beside it,
in the same run: bench/bare_neonize.py, the same number of neonize clients retrying through
the same proxy in one bare Python process (the library's own cost and its leak per dial),
for a shorter while, since it grows without bound.

With `--reach-go` the proxy opens the tunnel and then drops it: the route is up, so every
attempt reaches neonize's Go library (which leaks a store handle each) and fails there, as a
WhatsApp-side failure past the route would. Such devices live in the quarantine runner
(wapiz/workers/runner/roles.py), which recycles; the figures then show that bound.

Memory is PSS (proportional set size, from /proc/<pid>/smaps_rollup): pages shared between
the processes (the Python binary, libraries) are counted once in the sum, so the sum is what
the processes cost together. RSS is printed too.

    nice -n 19 .venv/bin/python bench/memory_bench.py [--counts 1 30 200] [--seconds 600]
        [--reach-go] [--recycle-after N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.engines.whatsmeow.test_processes import LoopbackProxy  # noqa: E402
from tests.support import Api, Deployment, children_of  # noqa: E402


def memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields["Pss"], fields["Rss"]


def wait_for_attempts(proxy: LoopbackProxy, count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(proxy.accepted) < count:
        time.sleep(0.5)


def pss_mb(pids: list[int]) -> float:
    return sum(memory_kb(pid)[0] for pid in pids) / 1024


def watch(pids: Callable[[], list[int]], proxy: LoopbackProxy, seconds: float,
          every: float, ceiling_mb: float = 3000.0) -> list[tuple[float, float, int]]:
    """(seconds since start, PSS in MB, dials so far) every `every` seconds; stops early
    past `ceiling_mb` (the bare library's leak must not exhaust a shared machine)."""
    readings: list[tuple[float, float, int]] = []
    started = time.monotonic()
    while (now := time.monotonic() - started) < seconds:
        readings.append((now, pss_mb(pids()), len(proxy.accepted)))
        if readings[-1][1] > ceiling_mb:
            break
        time.sleep(every)
    return readings


def growth(readings: list[tuple[float, float, int]], warm_up: float) -> dict[str, float]:
    """PSS after warm-up: median, peak, the fitted growth over the window and per 1,000
    dials (least squares of PSS against the dial count)."""
    steady = [r for r in readings if r[0] >= warm_up] or readings[-2:]
    mb = [r[1] for r in steady]
    dials = [float(r[2]) for r in steady]
    per_dial = (statistics.linear_regression(dials, mb).slope
                if len(set(dials)) > 1 else 0.0)
    return {"pss": statistics.median(mb), "peak": max(mb), "first": mb[0], "last": mb[-1],
            "dials": dials[-1] - dials[0], "per_1000_dials": per_dial * 1000}


def measure_wapiz(count: int, seconds: float, every: float, warm_up: float,
                  backoff_cap: float, reach_go: bool = False,
                  recycle_after: int | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as root:
        proxy = LoopbackProxy(tunnels=reach_go)
        deployment = Deployment("sqlite", Path(root))
        extra = {} if recycle_after is None else {"whatsmeow_recycle_after": str(recycle_after)}
        try:
            deployment.migrate()
            server = deployment.serve(engine="whatsmeow", proxy=proxy.url, log_level="warning",
                                      plan_limits=json.dumps({"free": count}),
                                      reconnect_max_seconds=str(backoff_cap), **extra)
            api = Api(server.url)
            token, _ = api.register()
            devices = [api.create_device(token)["id"] for _ in range(count)]

            def pids() -> list[int]:
                return [server.pid, *children_of(server.pid)]

            wait_for_attempts(proxy, count)
            runners = set(server.runner_pids())
            readings = watch(pids, proxy, seconds, every)
            runners |= set(server.runner_pids())
            statuses = {api.status(token, d)["reason"] for d in devices}
            api.close()
            return {"readings": readings, "growth": growth(readings, warm_up),
                    "reasons": sorted(statuses), "runner_processes": len(runners),
                    "recycles": server.log_path.read_text().count("asks to be recycled")}
        finally:
            deployment.close()
            proxy.close()


def measure_bare(count: int, seconds: float, every: float, warm_up: float,
                 backoff_cap: float, reach_go: bool = False) -> dict[str, object]:
    proxy = LoopbackProxy(tunnels=reach_go)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAPIZ_")}
    with tempfile.TemporaryDirectory() as root:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "bare_neonize.py"), str(count), proxy.url, root,
             str(backoff_cap)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_attempts(proxy, count)
            readings = watch(lambda: [process.pid], proxy, seconds, every)
            return {"readings": readings, "growth": growth(readings, warm_up)}
        finally:
            process.kill()
            process.wait()
            proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 30, 200])
    parser.add_argument("--seconds", type=float, default=600.0,
                        help="how long WAPIZ's devices retry while sampled")
    parser.add_argument("--bare-seconds", type=float, default=180.0,
                        help="how long the bare library retries (it leaks: keep it short)")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warm-up", type=float, default=120.0,
                        help="seconds left out of the growth fit")
    parser.add_argument("--backoff-cap", type=float, default=5.0,
                        help="WAPIZ_RECONNECT_MAX_SECONDS (and the bare loop's cap)")
    parser.add_argument("--reach-go", action="store_true",
                        help="the proxy opens the tunnel: every attempt reaches Go")
    parser.add_argument("--recycle-after", type=int, help="WAPIZ_WHATSMEOW_RECYCLE_AFTER")
    parser.add_argument("--json", type=Path, help="write every reading here")
    args = parser.parse_args()
    results = {}
    for count in args.counts:
        wapiz = measure_wapiz(count, args.seconds, args.every, args.warm_up, args.backoff_cap,
                              args.reach_go, args.recycle_after)
        bare = measure_bare(count, args.bare_seconds, args.every,
                            min(args.warm_up, args.bare_seconds / 3), args.backoff_cap,
                            args.reach_go)
        results[count] = {"wapiz": wapiz, "bare": bare}
        w, b = wapiz["growth"], bare["growth"]
        print(f"{count:>4} devices, {args.seconds:.0f} s | wapiz PSS after warm-up median "
              f"{w['pss']:.1f} MB (first {w['first']:.1f}, last {w['last']:.1f}, peak "
              f"{w['peak']:.1f}); {w['dials']:.0f} dials; {w['per_1000_dials']:+.3f} MB per "
              f"1,000 dials; {wapiz['recycles']} recycles, {wapiz['runner_processes']} runner "
              f"process(es); reasons {wapiz['reasons']} | bare neonize {args.bare_seconds:.0f} "
              f"s: PSS {b['first']:.1f} -> {b['last']:.1f} MB over {b['dials']:.0f} dials, "
              f"{b['per_1000_dials']:+.1f} MB per 1,000 dials", flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    counts = sorted(results)
    if len(counts) > 1:
        low, high = counts[0], counts[-1]
        per_device = (results[high]["wapiz"]["growth"]["pss"]
                      - results[low]["wapiz"]["growth"]["pss"]) / (high - low)
        print(f"per additional device after warm-up: wapiz {per_device:.2f} MB")


if __name__ == "__main__":
    main()
