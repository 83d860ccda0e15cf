"""The docs site's examples as data: every ```bash block that starts with `curl`, the status the
page writes next to it ("Response 201") and the JSON it shows right after that, and a runner
that runs them with the real curl binary, one page at a time, keeping what each answer gives
the next examples ($TOKEN, $ID, …)."""

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from markdown_it import MarkdownIt

SITE = Path(__file__).resolve().parents[2] / "docs" / "site"
LANGUAGES = ("id", "en")
PAGES = ("start", "devices", "people", "messages", "chats", "groups", "webhooks", "stream",
         "outputs", "accounts", "sandbox")
# The webhook URL the pages show stands for the receiver a test runs.
WEBHOOK_URLS = ("https://server-anda.com/webhook", "https://your-server.com/webhook")
# What an answer gives the examples after it: (method, path as written) → {variable: key}.
CAPTURES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/api/auth/register"): {"TOKEN": "token"},
    ("POST", "/api/auth/login"): {"TOKEN": "token"},
    ("POST", "/api/devices"): {"ID": "id", "DEVICE_ID": "deviceId"},
    ("POST", "/api/messages"): {"MESSAGE_ID": "id"},
    ("POST", "/api/messages/upload"): {"MESSAGE_ID": "id"},
    ("GET", "/api/messages"): {"MESSAGE_ID": "items.0.id"},
    ("POST", "/api/messages/bulk"): {"BATCH_ID": "batchId"},
    ("GET", "/api/devices/$ID/webhook/deliveries"): {"DELIVERY_ID": "items.0.id"},
    ("POST", "/api/keys"): {"KEY_ID": "id", "API_KEY": "key"},
    ("POST", "/api/devices/$ID/groups"): {"GROUP": "id"},
    ("DELETE", "/api/devices/$ID/groups/$GROUP/invite"): {"LINK": "link"},
}
# Objects whose keys are data (a count per status), not a shape to compare.
MAPS = {"counts", "variables"}


@dataclass(frozen=True)
class Example:
    page: str
    command: str
    status: int
    shown: Any  # the JSON shown right after the status, or None

    @property
    def method(self) -> str:
        explicit = re.search(r"-X (\w+)", self.command)
        if explicit:
            return explicit.group(1)
        return "POST" if re.search(r"\s-[dF] ", self.command) else "GET"

    @property
    def path(self) -> str:
        found = re.search(r'\$WAPIZ(/[^\s"?]*)', self.command)
        assert found, f"an example without $WAPIZ: {self.command}"
        return found.group(1)

    def normalized(self) -> str:
        """The command with the page language's webhook URL made one."""
        command = self.command
        for url in WEBHOOK_URLS:
            command = command.replace(url, WEBHOOK_URLS[0])
        return command


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """The page's top-level blocks: ("fence", info, content), ("para", "", words), or
    ("other", type, "")."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks = []
    for position, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1:
            continue
        if token.type == "fence":
            blocks.append(("fence", token.info.strip(), token.content))
        elif token.type == "paragraph_open":
            blocks.append(("para", "", tokens[position + 1].content))
        else:
            blocks.append(("other", token.type, ""))
    return blocks


def examples(page: str, language: str = "id") -> list[Example]:
    blocks = _blocks((SITE / language / f"{page}.md").read_text(encoding="utf-8"))
    found = []
    for position, (kind, info, content) in enumerate(blocks):
        if not (kind == "fence" and info == "bash" and content.lstrip().startswith("curl")):
            continue
        following = blocks[position + 1] if position + 1 < len(blocks) else ("", "", "")
        status = re.fullmatch(r"Response (\d{3})", following[2].strip())
        assert following[0] == "para" and status, (
            f"{language}/{page}.md: no 'Response <status>' right after {content!r}")
        after = blocks[position + 2] if position + 2 < len(blocks) else ("", "", "")
        shown = json.loads(after[2]) if after[:2] == ("fence", "json") else None
        found.append(Example(page, content.strip(), int(status.group(1)), shown))
    return found


def blocks_of(page: str, language: str, info: str) -> list[str]:
    text = (SITE / language / f"{page}.md").read_text(encoding="utf-8")
    return [content for kind, lang, content in _blocks(text) if kind == "fence" and lang == info]


def same_shape(shown: Any, answer: Any, where: str = "answer") -> None:
    """The answer has exactly the keys the page shows, in every object it shows (the first
    item of each list standing for the rest)."""
    if isinstance(shown, dict):
        assert isinstance(answer, dict), f"{where}: shown an object, got {answer!r}"
        assert set(answer) == set(shown), (
            f"{where}: keys differ: only shown {sorted(set(shown) - set(answer))}, "
            f"only answered {sorted(set(answer) - set(shown))}")
        for key, value in shown.items():
            if key not in MAPS and value and answer[key]:
                same_shape(value, answer[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(answer, list), f"{where}: shown a list, got {answer!r}"
        if shown and answer:
            same_shape(shown[0], answer[0], f"{where}[0]")


def _dig(answer: Any, path: str) -> Any:
    for step in path.split("."):
        answer = answer[int(step)] if isinstance(answer, list) else answer[step]
    return answer


@dataclass
class Reader:
    """A person going through the pages with curl: the shell's variables, a working folder."""

    url: str
    folder: Path
    webhook_url: str  # where the pages' example webhook URL points: a receiver of the test's
    variables: dict[str, str] = field(default_factory=dict)
    # Emails the pages use, made unique for this reader (pages share a server).
    suffix: str = field(default_factory=lambda: os.urandom(4).hex())

    def __post_init__(self) -> None:
        self.variables["WAPIZ"] = self.url

    def command(self, example: Example) -> str:
        command = example.normalized().replace(WEBHOOK_URLS[0], self.webhook_url)
        return re.sub(r"\b(\w+)@example\.com", rf"\1.{self.suffix}@example.com", command)

    def run(self, example: Example) -> tuple[int, bytes]:
        """Run the example as written, with curl, and return the status and body."""
        for name in re.findall(r"-F file=@([\w.-]+)", example.command):
            (self.folder / name).write_text("Pesanan 1001: 2 x Kopi Susu, total Rp 40.000\n")
        self._settle(example)
        # The status on a line of its own after the body (`-w`); everything else as shown.
        script = ('curl() { command curl -sS -w "\\n%{http_code}" "$@"; }\n'
                  + self.command(example))
        env = {"PATH": os.environ["PATH"], "HOME": str(self.folder), **self.variables}
        ran = subprocess.run(["bash", "-u", "-o", "pipefail", "-c", script], env=env,
                             cwd=self.folder, capture_output=True, timeout=90)
        assert ran.returncode == 0, f"{example.command}\n{ran.stderr.decode()}"
        body, _, status = ran.stdout.rpartition(b"\n")
        return int(status), body

    def check(self, example: Example) -> None:
        status, body = self.run(example)
        assert status == example.status, (
            f"{example.page}: {example.command}\nanswered {status}, the page says "
            f"{example.status}: {body[:2000]!r}")
        if example.shown is not None:
            same_shape(example.shown, json.loads(body))
        if 200 <= status < 300:
            for name, key in CAPTURES.get((example.method, example.path), {}).items():
                self.variables[name] = str(_dig(json.loads(body), key))

    # -- what a person waits for before the next step ------------------------------------

    def _api(self, path: str) -> Any:
        answer = httpx.get(self.url + path, timeout=10, headers={
            "Authorization": f"Bearer {self.variables['TOKEN']}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def _wait(self, path: str, done: Any, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done(self._api(path)):
            assert time.monotonic() < deadline, f"{path} not done within {timeout} s"
            time.sleep(0.2)

    def _settle(self, example: Example) -> None:
        """Editing or revoking a message needs it sent; redelivering needs the delivery done;
        an inbound message is listed once the runner stored it: a person waits for these."""
        if example.path == "/api/messages/$MESSAGE_ID" and example.status == 202:
            self._wait(f"/api/messages/{self.variables['MESSAGE_ID']}",
                       lambda message: message["status"] in ("sent", "delivered", "read"))
        if example.path == "/api/messages" and "direction=inbound" in example.command:
            self._wait(f"/api/messages?deviceId={self.variables['DEVICE_ID']}&direction=inbound",
                       lambda page: page["items"])
        if example.path.endswith("/redeliver"):
            self._wait(f"/api/devices/{self.variables['ID']}/webhook/deliveries/"
                       f"{self.variables['DELIVERY_ID']}",
                       lambda delivery: delivery["status"] != "pending")
