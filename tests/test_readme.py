"""The README's walk-through works as written: its commands, run by bash against a server
started the way it says, give the answers it promises."""

import re
import subprocess
from pathlib import Path

from tests.support import Deployment, free_port

README = Path(__file__).resolve().parent.parent / "README.md"
WAIT_FOR_EVENTS = """for _ in $(seq 150); do
  curl -s "$B/api/devices/$ID/webhook/deliveries?status=succeeded" -b "wa_token=$TOKEN" \\
    | grep -q '"type":"message.received"' && break
  sleep 0.2
done"""


def walk_through() -> tuple[str, str]:
    """The walk-through's two shell blocks: how to start the server, and the commands."""
    section = README.read_text().split("## Walk-through", 1)[1].split("\n## ", 1)[0]
    start, commands = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return start, commands


def test_the_readme_walk_through_runs(deployment: Deployment, tmp_path: Path) -> None:
    start, commands = walk_through()
    settings = dict(re.findall(r"WAPIZ_(\w+)=(\S+)", start))
    assert settings == {"ENGINE": "sandbox", "WEBHOOK_ALLOW_PRIVATE": "true"}
    server = deployment.serve(**{name.lower(): value for name, value in settings.items()})
    script = (commands
              .replace("B=http://127.0.0.1:8080\n", f"B={server.url}\n", 1)
              .replace("HOOK_PORT=9000\n", f"HOOK_PORT={free_port()}\n", 1))
    assert script.count(server.url) == 1 and "<" + "deviceId>" not in script
    # A person reads the events as they come; the script waits for the last one's delivery
    # before it stops the receiver.
    script = script.replace("\nkill $RECEIVER\n", f"\n{WAIT_FOR_EVENTS}\nkill $RECEIVER\n", 1)
    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=90)
    out = ran.stdout
    assert ran.returncode == 0, out
    # The answers the walk-through's comments promise, in their order.
    promised = [
        '"token":"wapiz_',
        '{"error":"Paket Free maksimal 1 device"}',
        '{"ok":true}',
        '"code":"',  # the pairing code
        '"status":"logged_in"',
        '"proxy":null',
        '"secret":"whsec_',
        '"text":"Halo dari WAPIZ"',
        '"mimetype":"text/plain"',
        '"waMessageId":"',  # the inbound message
        '"items":[',  # the messages
        '"items":[',  # the deliveries
    ]
    position = 0
    for words in promised:
        found = out.find(words, position)
        assert found >= 0, f"{words!r} missing after position {position}:\n{out}"
        position = found
    assert (tmp_path / "qr.png").read_bytes().startswith(b"\x89PNG")
    # The receiver printed the events: the message received, and the sends' progress.
    events = re.findall(r'webhook: {"type":"([a-z.]+)"', out)
    assert "message.received" in events and "message.updated" in events, out
