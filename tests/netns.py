"""Network namespaces for partition tests: a process in a namespace of its own reaches
PostgreSQL (which listens on 127.0.0.1 only) over a veth link, through a TCP forwarder the
test runs on the link's host side; the link can be cut and restored.

The cut takes the host end of the link down: the namespace's end loses its carrier, and
packets either way are dropped, as when a cable is pulled. Nothing is closed: connections
hang (TCP keeps retrying) and new ones get no answer, and when the link comes back the
connections that are still open carry on — the case a fence must hold in.
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

POSTGRES = ("127.0.0.1", 5432)


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    probe = f"wzprobe{os.getpid() % 100000}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` fails here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Forwarder:
    """Byte pipes from the link's host address to PostgreSQL on loopback, run on a loop
    thread of their own. `ports` are the local ports of its connections to PostgreSQL,
    which the server reports as `inet_client_port()` of their sessions: what tells this
    link's writes apart in the tables."""

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str) -> None:
        self.loop = loop
        self.host = host
        self.port = POSTGRES[1]
        self.ports: set[int] = set()
        self._server: asyncio.Server | None = None
        self._carrying: set[asyncio.Task[object]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._carry, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._carrying:
            task.cancel()
        await asyncio.gather(*self._carrying, return_exceptions=True)

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*POSTGRES)
        except OSError:
            writer.close()
            return
        self.ports.add(up_writer.get_extra_info("sockname")[1])
        pipes = [asyncio.ensure_future(_pipe(reader, up_writer)),
                 asyncio.ensure_future(_pipe(up_reader, writer))]
        self._carrying.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)
        self._carrying.difference_update(pipes)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@dataclass
class Link:
    """A namespace and its veth link (a /30: .1 on the host's end, .2 in the namespace)."""

    namespace: str
    host_end: str
    subnet: int  # the /30's third octet in 10.213.x.0
    forwarder: Forwarder | None = field(default=None, repr=False)

    @property
    def host_address(self) -> str:
        return f"10.213.{self.subnet}.1"

    @property
    def exec_prefix(self) -> list[str]:
        """What runs a command inside the namespace."""
        return ["ip", "netns", "exec", self.namespace]

    def database_url(self, url: str) -> str:
        """`url` (on 127.0.0.1), reached from inside the namespace."""
        return make_url(url).set(host=self.host_address, port=POSTGRES[1]).render_as_string(
            hide_password=False)

    @property
    def ports(self) -> set[int]:
        assert self.forwarder is not None
        return set(self.forwarder.ports)

    def cut(self) -> None:
        _ip("link", "set", self.host_end, "down")

    def restore(self) -> None:
        _ip("link", "set", self.host_end, "up")


@contextlib.contextmanager
def links(count: int) -> Iterator[list[Link]]:
    """`count` namespaces, each linked to the host and forwarded to PostgreSQL; all removed
    afterwards, whatever happened."""
    tag = os.getpid() % 100000
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    made: list[Link] = []
    try:
        for index in range(count):
            link = Link(f"wzpart{tag}n{index}", f"wzp{tag}h{index}",
                        subnet=(tag * count + index) % 250 + 1)
            ns_end = f"wzp{tag}n{index}"
            _ip("netns", "add", link.namespace)
            made.append(link)
            _ip("link", "add", link.host_end, "type", "veth", "peer", "name", ns_end)
            _ip("link", "set", ns_end, "netns", link.namespace)
            _ip("addr", "add", f"{link.host_address}/30", "dev", link.host_end)
            _ip("link", "set", link.host_end, "up")
            inside = ["netns", "exec", link.namespace, "ip"]
            _ip(*inside, "addr", "add", f"10.213.{link.subnet}.2/30", "dev", ns_end)
            _ip(*inside, "link", "set", ns_end, "up")
            _ip(*inside, "link", "set", "lo", "up")
            link.forwarder = Forwarder(loop, link.host_address)
            asyncio.run_coroutine_threadsafe(link.forwarder.start(), loop).result(10)
        yield made
    finally:
        for link in made:
            if link.forwarder is not None:
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(link.forwarder.stop(), loop).result(5)
            subprocess.run(["ip", "link", "del", link.host_end], capture_output=True)
            subprocess.run(["ip", "netns", "del", link.namespace], capture_output=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
