"""Loopback stand-ins for the proxies a device may name: WhatsApp stays out of reach, and
every dial the engine makes lands on one of these."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest


class LoopbackProxy:
    """A TCP listener standing in for a SOCKS5 proxy: it records each connection, then
    drops it (`silent=False`) or holds it without a word (`silent=True`); or answers with
    `banner` and drops it, as another service on that port would. With `tunnels=True` it
    first answers the SOCKS5 handshake as if the tunnel to WhatsApp were open, then drops it:
    the route is up, WhatsApp itself does not answer."""

    def __init__(self, silent: bool = False, banner: bytes | None = None,
                 tunnels: bool = False) -> None:
        self.silent = silent
        self.banner = banner
        self.tunnels = tunnels
        self.accepted: list[float] = []
        self._held: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = f"socks5://127.0.0.1:{self.port}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self.accepted.append(time.monotonic())
            if self.silent:
                self._held.append(connection)
            elif self.tunnels:
                threading.Thread(target=self._tunnel, args=(connection,), daemon=True).start()
            else:
                if self.banner is not None:
                    with contextlib.suppress(OSError):
                        connection.sendall(self.banner)
                connection.close()

    @staticmethod
    def _tunnel(connection: socket.socket) -> None:
        # A client that hangs up mid-handshake leaves short reads (IndexError): it is gone.
        with connection, contextlib.suppress(OSError, IndexError):
            connection.settimeout(5)
            greeting = connection.recv(2)
            connection.recv(greeting[1])  # the offered methods
            connection.sendall(b"\x05\x00")  # no authentication
            request = connection.recv(4)  # version, CONNECT, reserved, address type
            if request[3] == 3:  # a name: its length, then the name
                connection.recv(connection.recv(1)[0])
            else:
                connection.recv(4 if request[3] == 1 else 16)
            connection.recv(2)  # the port
            connection.sendall(b"\x05\x00\x00\x01" + bytes(6))  # granted
            connection.recv(1)  # until the client speaks or hangs up, then drop it

    def close(self) -> None:
        self._server.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def proxies() -> Iterator[list[LoopbackProxy]]:
    made: list[LoopbackProxy] = []
    yield made
    for proxy in made:
        proxy.close()
