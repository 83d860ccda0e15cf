"""Benchmark: memory of all WAPIZ processes with 1, 50 and 200 whatsmeow devices.

The devices are not linked and cannot reach WhatsApp: every dial goes to a loopback proxy
that drops it, so each device keeps retrying with backoff, as on a machine without a route
to WhatsApp. For each count it starts a real `wapiz serve` (API + supervised runner,
whatsmeow engine, SQLite), adds the devices over HTTP, lets them retry for a while, and
samples the memory of the serve process and its runner. Beside it, in the same run:
bench/bare_neonize.py, the same number of neonize clients retrying through the same proxy
in one bare Python process (the library's own cost, and a floor for ours).

Memory is PSS (proportional set size, from /proc/<pid>/smaps_rollup): pages shared between
the processes (the Python binary, libraries) are counted once in the sum, so the sum is what
the processes cost together. RSS is printed too.

    .venv/bin/python bench/memory_bench.py [--counts 1 50 200] [--settle 45]
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


def sample(pids: Callable[[], list[int]], seconds: float) -> dict[str, float]:
    """Median and peak of the processes' summed memory, once a second."""
    pss, rss = [], []
    for _ in range(int(seconds)):
        readings = [memory_kb(pid) for pid in pids()]
        pss.append(sum(r[0] for r in readings) / 1024)
        rss.append(sum(r[1] for r in readings) / 1024)
        time.sleep(1)
    return {"pss": statistics.median(pss), "pss_peak": max(pss),
            "rss": statistics.median(rss)}


def wait_for_attempts(proxy: LoopbackProxy, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(proxy.accepted) < count:
        time.sleep(0.5)


def measure_wapiz(count: int, settle: float, window: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as root:
        proxy = LoopbackProxy()
        deployment = Deployment("sqlite", Path(root))
        try:
            deployment.migrate()
            server = deployment.serve(engine="whatsmeow", proxy=proxy.url, log_level="warning",
                                      plan_limits=json.dumps({"free": count}))
            api = Api(server.url)
            token, _ = api.register()
            devices = [api.create_device(token)["id"] for _ in range(count)]

            def pids() -> list[int]:
                return [server.pid, *children_of(server.pid)]

            wait_for_attempts(proxy, count)
            early = sample(pids, 5)  # every device has dialled once
            time.sleep(settle)
            steady = sample(pids, window)  # retrying for a while, recycles included
            statuses = {api.status(token, d)["reason"] for d in devices}
            api.close()
            return {"early": early, "steady": steady, "attempts": len(proxy.accepted),
                    "reasons": sorted(statuses),
                    "recycles": server.log_path.read_text().count("asks to be recycled")}
        finally:
            deployment.close()
            proxy.close()


def measure_bare(count: int, settle: float, window: float) -> dict[str, object]:
    proxy = LoopbackProxy()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAPIZ_")}
    with tempfile.TemporaryDirectory() as root:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "bare_neonize.py"), str(count), proxy.url, root],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_attempts(proxy, count)
            early = sample(lambda: [process.pid], 5)
            time.sleep(settle)
            steady = sample(lambda: [process.pid], window)
            return {"early": early, "steady": steady, "attempts": len(proxy.accepted)}
        finally:
            process.kill()
            process.wait()
            proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds of retrying between the early and the steady samples")
    parser.add_argument("--window", type=float, default=10.0, help="seconds of steady sampling")
    args = parser.parse_args()
    results = {}
    for count in args.counts:
        wapiz = measure_wapiz(count, args.settle, args.window)
        bare = measure_bare(count, args.settle, args.window)
        results[count] = (wapiz, bare)
        we, ws, be, bs = wapiz["early"], wapiz["steady"], bare["early"], bare["steady"]
        print(f"{count:>4} devices | wapiz PSS early {we['pss']:.0f} MB, steady {ws['pss']:.0f} "
              f"MB (peak {ws['pss_peak']:.0f}; RSS {ws['rss']:.0f}); {wapiz['attempts']} dials, "
              f"{wapiz['recycles']} recycles, reasons {wapiz['reasons']} | bare neonize PSS "
              f"early {be['pss']:.0f} MB, steady {bs['pss']:.0f} MB (peak {bs['pss_peak']:.0f});"
              f" {bare['attempts']} dials | steady ratio {ws['pss'] / bs['pss']:.2f}", flush=True)
    counts = sorted(results)
    if len(counts) > 1:
        low, high = counts[0], counts[-1]
        for phase in ("early", "steady"):
            per_wapiz = (results[high][0][phase]["pss"] - results[low][0][phase]["pss"]) / (
                high - low)
            per_bare = (results[high][1][phase]["pss"] - results[low][1][phase]["pss"]) / (
                high - low)
            print(f"per additional device ({phase}): wapiz {per_wapiz:.2f} MB, "
                  f"bare neonize {per_bare:.2f} MB")


if __name__ == "__main__":
    main()
