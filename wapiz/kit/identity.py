"""How a process names itself in the leases it holds (devices, webhook endpoints)."""

import os
import secrets
import socket


def process_identity(name: str | None = None) -> str:
    """Unique per process: a restarted process is a new lease holder."""
    return f"{name or socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
