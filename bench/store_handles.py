"""The leak at its root, with neonize's real Go library: open descriptors on a device's store
after N connects through a refusing loopback proxy, each followed by `Stop`.

Once with a new `NewClient` per attempt (what the engine does), once with one `NewClient`
reused: if reusing the Python client kept one Go store, the second count would stay at one.

    .venv/bin/python bench/store_handles.py [N]
"""

import contextlib
import logging
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

logging.basicConfig(level=logging.WARNING)

from neonize._binder import ProxySettings  # noqa: E402
from neonize.client import NewClient  # noqa: E402


def descriptors_on(path: str) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(path)
    return count


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    for name in ("neonize", "whatsmeow", "Whatsmeow"):
        logging.getLogger(name).setLevel(logging.ERROR)
    attempts = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now: every dial is refused
    proxy = ProxySettings(proxy_address=f"socks5://127.0.0.1:{port}")
    root = tempfile.mkdtemp()
    for mode in ("new-client-each-time", "one-client-reused"):
        store = os.path.join(root, f"{mode}.db")
        client = NewClient(store, uuid=mode)
        before = rss_mb()
        error = ""
        for attempt in range(attempts):
            if mode == "new-client-each-time":
                client = NewClient(store, uuid=f"{mode}-{attempt}")
            try:
                client.connect(proxy)
            except Exception as exc:
                error = str(exc)
            client.stop()
        time.sleep(0.5)
        print(f"{mode}: {attempts} connects -> {descriptors_on(store)} open descriptors on the "
              f"store, RSS {rss_mb() - before:+.1f} MB (last error: {error[:60]})", flush=True)
    os._exit(0)  # Go's threads would keep the interpreter waiting


if __name__ == "__main__":
    main()
