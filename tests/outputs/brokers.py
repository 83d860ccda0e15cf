"""The brokers the output tests publish to: the machine's NATS (JetStream) and RabbitMQ, a
NATS server of the test's own (to stop and start again), a TCP proxy in front of RabbitMQ
(to cut: the machine's broker is not ours to stop), and consumers that read back what
arrived."""

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import free_port

NATS_URL = os.environ.get("WAPIZ_TEST_NATS_URL", "nats://127.0.0.1:4222")
AMQP_URL = os.environ.get("WAPIZ_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _reachable(url: str) -> bool:
    host_port = url.split("@")[-1].split("//")[-1].split("/")[0]
    host, port = host_port.rsplit(":", 1)
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=2):
        return True
    return False


def require_brokers() -> None:
    """The output tests need the machine's NATS and RabbitMQ (.ci/run starts them)."""
    missing = [url for url in (NATS_URL, AMQP_URL) if not _reachable(url)]
    if missing:
        pytest.fail(f"brokers not reachable: {', '.join(missing)} (.ci/run starts them)")


@dataclass(frozen=True)
class Arrived:
    message_id: str
    subject: str
    body: bytes


def _different(arrived: list[Arrived]) -> int:
    return len({message.message_id for message in arrived})


def unique_name(kind: str) -> str:
    return f"wapiztest{kind}{uuid.uuid4().hex[:10]}"


# --- NATS -----------------------------------------------------------------------------


class NatsServer:
    """A nats-server of the test's own, JetStream storing in a folder of its own, so that
    stopping it and starting it again keeps the stream (as a restarted broker would)."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        if not Path(binary).exists():
            pytest.fail("nats-server is not installed (Debian's nats-server package)")
        self.binary = binary
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        with (self.root / "nats-server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js",
                 "-sd", str(self.root / "jetstream")],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while not _reachable(self.url):
            assert self.process.poll() is None, (self.root / "nats-server.log").read_text()
            assert time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # a crash, not a polite shutdown
            self.process.wait(10)
        self.process = None


async def nats_received(url: str, stream: str, prefix: str, count: int,
                        wait_s: float) -> list[Arrived]:
    """The stream's messages in its order, once `count` different ones came (or after
    `wait_s`)."""
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        arrived: list[Arrived] = []
        subscription = await js.subscribe(f"{prefix}.>", stream=stream, ordered_consumer=True)
        deadline = time.monotonic() + wait_s
        while _different(arrived) < count and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                message = await subscription.next_msg(timeout=1)
                arrived.append(Arrived((message.headers or {}).get("Nats-Msg-Id", ""),
                                       message.subject, message.data))
        await subscription.unsubscribe()
        return arrived
    finally:
        await nc.close()


async def nats_delete_stream(url: str, stream: str) -> None:
    import nats
    import nats.js.errors

    nc = await nats.connect(url)
    try:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


# --- RabbitMQ ------------------------------------------------------------------------


class AmqpQueue:
    """A queue of the test's own bound to the output's exchange (`<prefix>.#`), declared
    before anything is published, on the machine's RabbitMQ directly."""

    def __init__(self, exchange: str, prefix: str) -> None:
        self.exchange = exchange
        self.prefix = prefix
        self.queue = unique_name("queue")

    async def declare(self) -> None:
        import aio_pika

        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC,
                                                      durable=True)
            queue = await channel.declare_queue(self.queue, durable=True)
            await queue.bind(exchange, f"{self.prefix}.#")

    async def received(self, count: int, wait_s: float) -> list[Arrived]:
        """The queue's messages in their order, once `count` different ones came (or after
        `wait_s`); a repeat is kept (it counts once)."""
        import aio_pika

        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(self.queue)
            arrived: list[Arrived] = []
            deadline = time.monotonic() + wait_s
            while _different(arrived) < count and time.monotonic() < deadline:
                message = await queue.get(no_ack=True, fail=False)
                if message is None:
                    await asyncio.sleep(0.2)
                    continue
                arrived.append(Arrived(message.message_id or "", message.routing_key or "",
                                       message.body))
            return arrived

    async def delete(self) -> None:
        import aio_pika

        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(self.queue)
            await channel.exchange_delete(self.exchange)


class TcpProxy:
    """A loopback TCP proxy in front of a broker, to cut: every connection through it is
    closed and new ones refused, until it is restored (on the same port)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for end in sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self) -> None:
        self.start()
