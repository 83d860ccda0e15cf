"""The baseline of bench/memory_bench.py: N neonize clients in one bare Python process, each
retrying its connection (through the given proxy) with the same capped backoff as WAPIZ,
one connect at a time (neonize aborts on concurrent ones). No database, no API.

    python bench/bare_neonize.py COUNT PROXY_URL STORE_DIR [BACKOFF_CAP_SECONDS]
"""

import contextlib
import random
import sys
import threading
import time

from neonize._binder import ProxySettings
from neonize.client import NewClient

count, proxy, store_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cap = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
one_at_a_time = threading.Lock()


def keep_trying(index: int) -> None:
    failures = 0
    while True:
        client = NewClient(f"{store_dir}/{index}.db", uuid=f"bare-{index}")
        with one_at_a_time:
            with contextlib.suppress(Exception):
                client.connect(ProxySettings(proxy_address=proxy))
            client.stop()
        ceiling = min(cap, 0.5 * 2**failures)
        failures += 1
        time.sleep(random.uniform(ceiling / 2, ceiling))


for index in range(count):
    threading.Thread(target=keep_trying, args=(index,), daemon=True).start()
while True:
    time.sleep(3600)
