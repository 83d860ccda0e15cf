"""docs/scaling.md's nginx configuration, run as written (minus TLS and the public
addresses): two `wapiz api` processes on one PostgreSQL behind it, and a runner. Requests land
on either node with no stickiness, and an event reaches a client through the server-sent
events and WebSocket locations as it happens."""

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.events.streams import frames, socket, sse
from tests.support import PG_ENV, Api, Deployment, free_port

Balanced = tuple[Api, str, dict, list[str]]
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "scaling.md"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="needs nginx (apt-get install -y nginx-light)"),
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs PostgreSQL ({PG_ENV})"),
]


def guide_config(listen: int, upstreams: list[int]) -> str:
    """The guide's `server` and `upstream` blocks with loopback addresses and no TLS; each
    answer names the node that served it (X-Upstream)."""
    config = re.search(r"```nginx\n(.*?)```", GUIDE.read_text(), re.S)
    assert config is not None, "docs/scaling.md has no nginx block"
    lines = []
    for line in config.group(1).splitlines():
        if re.match(r"\s*(ssl_|server_name)", line):
            continue
        if re.match(r"\s*listen ", line):
            line = f"    listen 127.0.0.1:{listen};"
        if re.match(r"\s*server \d", line):
            if not upstreams:
                continue
            line = f"    server 127.0.0.1:{upstreams.pop()} max_fails=3 fail_timeout=10s;"
        lines.append(line)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def balanced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Balanced]:
    """nginx with the guide's configuration before two API nodes; a user with a linked
    device (signed up and linked through nginx); the nodes' addresses."""
    root = tmp_path_factory.mktemp("scaling")
    deployment = Deployment("postgresql", root)
    nginx = None
    try:
        deployment.migrate()
        nodes = [deployment.api(), deployment.api()]
        deployment.runner("guide")
        port = free_port()
        prefix = root / "nginx"
        prefix.mkdir()
        (prefix / "nginx.conf").write_text(f"""
user root;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    add_header X-Upstream $upstream_addr always;
    {guide_config(port, [node.port for node in nodes if node.port])}
}}
""")
        nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                  "-g", "daemon off;"], stderr=subprocess.PIPE)
        api = Api(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while True:
            try:
                if api.http.get("/api/health").status_code == 200:
                    break
            except Exception:
                pass
            assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.2)
        token, _ = api.register()  # on one node; the token works on both
        yield api, token, api.linked_device(token), [f"127.0.0.1:{node.port}" for node in nodes]
        api.close()
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        deployment.close()


def test_any_node_answers_any_request(balanced: Balanced) -> None:
    api, token, device, nodes = balanced
    served = set()
    for _ in range(8):
        answer = api.http.get(f"/api/devices/{device['id']}/status", headers=api.auth(token))
        assert answer.status_code == 200, answer.text
        assert answer.json()["loggedIn"] is True
        served.add(answer.headers["X-Upstream"])
    assert served == set(nodes)


def inbound(api: Api, token: str, device: dict, text: str) -> None:
    answer = api.http.post(f"/api/sandbox/devices/{device['id']}/inbound",
                           headers=api.auth(token), json={"from": "081234567890", "text": text})
    assert answer.status_code == 202, answer.text


def test_events_pass_the_balancer_as_they_happen(balanced: Balanced) -> None:
    api, token, device, _ = balanced
    with sse(api, token, type="message.received") as events:
        inbound(api, token, device, "lewat nginx")
        event = next(events)  # one small event, not held back in a buffer
    assert event.type == "message.received"
    assert event.data["data"]["text"] == "lewat nginx"

    with socket(api, token, type="message.received") as connection:
        inbound(api, token, device, "lewat websocket")
        # A stream opened without a resume id is live from its node's feed: when that node
        # had not yet read the first event, it comes first here.
        frame = next(frame for frame in frames(connection, timeout=20)
                     if frame["data"]["text"] != "lewat nginx")
    assert frame["type"] == "message.received"
    assert frame["data"]["text"] == "lewat websocket"
