"""The folders say which process runs which code (docs/architecture.md, "Layout").

Two kinds of check. The import rule is read from the source: every `import` of every module
under wapiz/, those inside functions too, against what its folder may import. The process
rule is checked in real processes: a `wapiz api` serving requests, and a runner holding a
device, each list the modules they have loaded.
"""

import ast
import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import child_env, free_port

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wapiz"

DOMAINS = ("accounts", "devices", "messages", "webhooks", "overview", "sandbox", "keys", "admin",
           "groups", "stories", "labels", "events", "people", "presence", "calls", "chats",
           "outputs", "cluster")
# The engine interface: the words and shapes an engine reports in (statuses, reasons, ids).
# A domain may read them; no domain loads an engine's session code.
ENGINE_INTERFACE = ("wapiz.engines.base", "wapiz.engines.events", "wapiz.engines.content",
                    "wapiz.engines.groups")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports: a module, or a module's attribute (`from x import y`: x.y)
    line: int

    def __str__(self) -> str:
        path = self.module.replace(".", "/")
        return f"{path}.py:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_of(path: Path, module: str | None = None) -> list[Import]:
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from wapiz import loop` imports the module wapiz.loop: name both.
            found += [Import(module, f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return [i for i in found if i.target == "wapiz" or i.target.startswith("wapiz.")]


def _all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in _imports_of(path)]


def _under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _offences(rule: str, broken: list[Import]) -> str:
    return f"{rule}:\n" + "\n".join(f"  {i}" for i in broken)


# What may sit at the top of the package: the entry points and what every process reads
# first. Anything else has a folder that says where it runs (http, kit, a domain, workers).
TOP_LEVEL = {"__init__.py", "__main__.py", "cli.py", "config.py", "datadir.py"}
FOLDERS = {"http", "kit", "db", "engines", "workers", "migrations", "web", *DOMAINS}


def test_every_module_has_a_folder_that_says_where_it_runs() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in TOP_LEVEL)
    assert not loose, f"modules at the top of wapiz/ (move each into a folder): {loose}"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= FOLDERS, f"a folder the layout does not name: {sorted(folders - FOLDERS)}"


def test_no_domain_imports_the_workers() -> None:
    """Workers import domains (to read and write their rows), never the other way round."""
    domains = [f"wapiz.{d}" for d in DOMAINS]
    broken = [i for i in _all_imports()
              if _under(i.module, *domains) and _under(i.target, "wapiz.workers")]
    assert not broken, _offences("a domain imports wapiz.workers", broken)


def test_domains_import_no_engine_but_its_interface() -> None:
    """A domain may read the engine interface; only the sandbox's phone reaches the
    simulated network it plays the phone of."""
    broken = []
    for i in _all_imports():
        domain = next((d for d in DOMAINS if _under(i.module, f"wapiz.{d}")), None)
        if domain is None or not _under(i.target, "wapiz.engines"):
            continue
        if _under(i.target, *ENGINE_INTERFACE):
            continue
        if domain == "sandbox" and _under(i.target, "wapiz.engines.sandbox"):
            continue
        broken.append(i)
    assert not broken, _offences("a domain imports an engine", broken)


def test_engines_import_no_domain_no_http_no_workers() -> None:
    forbidden = [f"wapiz.{d}" for d in DOMAINS] + ["wapiz.http", "wapiz.workers"]
    broken = [i for i in _all_imports()
              if _under(i.module, "wapiz.engines") and _under(i.target, *forbidden)]
    assert not broken, _offences("an engine imports a domain, wapiz.http or wapiz.workers",
                                 broken)


def test_the_kit_imports_only_the_kit() -> None:
    broken = [i for i in _all_imports()
              if _under(i.module, "wapiz.kit") and not _under(i.target, "wapiz.kit")]
    assert not broken, _offences("wapiz.kit imports something of the project outside it",
                                 broken)


def test_workers_import_nothing_of_http() -> None:
    broken = [i for i in _all_imports()
              if _under(i.module, "wapiz.workers") and _under(i.target, "wapiz.http")]
    assert not broken, _offences("a worker imports wapiz.http", broken)


def test_the_web_pages_reach_accounts_only_through_the_api() -> None:
    """The web app and the docs site are clients of the HTTP API: they import no domain, no
    worker, no engine and no database (no private back door)."""
    forbidden = [f"wapiz.{d}" for d in DOMAINS] + [
        "wapiz.workers", "wapiz.engines", "wapiz.db", "wapiz.http"]
    broken = [i for i in _all_imports()
              if _under(i.module, "wapiz.web") and _under(i.target, *forbidden)]
    assert not broken, _offences("a web page module imports the server's inside", broken)


def test_the_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The rules above are only as good as the reader: relative, aliased, `from package
    import module` and function-level imports are all seen."""
    sample = tmp_path / "sample.py"
    sample.write_text(textwrap.dedent("""\
        import wapiz.workers.runner as runner
        from . import service
        from ..workers import dispatcher


        def later() -> None:
            from wapiz.kit import loop
        """))
    targets = {i.target for i in _imports_of(sample, module="wapiz.devices.sample")}
    assert targets == {"wapiz.workers.runner", "wapiz.devices.service",
                       "wapiz.workers.dispatcher", "wapiz.kit.loop"}


# --- the processes -------------------------------------------------------------------------

API_PROBE = """
import json, os, signal, sys, threading, time
import httpx
from wapiz.cli import main

port, out = int(sys.argv[1]), sys.argv[2]

def probe() -> None:
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            httpx.get(base + "/api/health")
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    with httpx.Client(base_url=base, timeout=60) as client:
        token = client.post("/api/auth/register", json={
            "email": "layout@example.com", "password": "password123", "name": "L"}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        device = client.post("/api/devices", json={"label": "probe"}).json()
        answers = [
            client.get(f"/api/devices/{device['id']}/status"),
            client.post("/api/messages", json={"deviceId": device["deviceId"],
                                               "to": "6281234567890", "text": "hi"}),
            client.get("/api/messages"),
            client.patch(f"/api/devices/{device['id']}/webhook",
                         json={"webhookUrl": "https://example.com/hook"}),
            client.get("/api/openapi.json"),
        ]
    with open(out, "w") as file:
        json.dump({"modules": sorted(sys.modules),
                   "statuses": [a.status_code for a in answers]}, file)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=probe, daemon=True).start()
sys.argv = ["wapiz", "api", "--host", "127.0.0.1", "--port", str(port), *sys.argv[3:]]
main()
"""

RUNNER_PROBE = """
import json, os, signal, sqlite3, sys, threading, time
from wapiz.cli import main

database, out = sys.argv[1], sys.argv[2]

def probe() -> None:
    # Once the runner holds the device (its session started, its sender ready), and a
    # moment more for its loops to have run.
    for _ in range(1200):
        with sqlite3.connect(database) as db:
            if db.execute("SELECT 1 FROM device_sessions WHERE runner IS NOT NULL").fetchone():
                break
        time.sleep(0.1)
    time.sleep(2)
    with open(out, "w") as file:
        json.dump({"modules": sorted(sys.modules)}, file)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=probe, daemon=True).start()
sys.argv = ["wapiz", "runner", "--identity", "layout-probe", "--parent-pid", str(os.getppid()),
            *sys.argv[3:]]
main()
"""


def _run(args: list[str], data_dir: Path) -> None:
    env = child_env(f"sqlite+aiosqlite:///{data_dir / 'wapiz.db'}", data_dir,
                    log_level="warning")
    done = subprocess.run(args, cwd=ROOT, timeout=300, capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"{args[:3]} exited {done.returncode}:\n{done.stderr}"


def _loaded(modules: list[str], *packages: str) -> list[str]:
    return [m for m in modules if _under(m, *packages)]


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """A migrated SQLite database, a `wapiz api` (whatsmeow engine, as in production) that
    served a user's first requests, then a runner (sandbox) that took that user's device."""
    data_dir = tmp_path_factory.mktemp("layout")
    _run([sys.executable, "-m", "wapiz", "migrate"], data_dir)
    api_out, runner_out = data_dir / "api.json", data_dir / "runner.json"
    _run([sys.executable, "-c", API_PROBE, str(free_port()), str(api_out),
          "--engine", "whatsmeow"], data_dir)
    started = time.monotonic()
    _run([sys.executable, "-c", RUNNER_PROBE, str(data_dir / "wapiz.db"), str(runner_out),
          "--engine", "sandbox"], data_dir)
    assert time.monotonic() - started < 300
    with sqlite3.connect(data_dir / "wapiz.db") as db:  # the runner did hold the device
        assert db.execute("SELECT count(*) FROM device_sessions WHERE epoch > 0").fetchone()[0]
    return {"api": json.loads(api_out.read_text()), "runner": json.loads(runner_out.read_text())}


def test_the_api_process_loads_no_engine_session_and_no_runner(processes: dict) -> None:
    api = processes["api"]
    assert api["statuses"] == [200, 202, 200, 200, 200]  # the probe did serve real requests
    modules = api["modules"]
    assert "wapiz.http.app" in modules and "wapiz.workers.dispatcher.dispatcher" in modules
    # The webhook dispatcher and the broker outputs run beside the app
    # (wapiz.workers.dispatcher, wapiz.workers.outputs); nothing else of the workers, and no
    # engine beyond its interface, is loaded; no broker's client while none is configured.
    assert "wapiz.workers.outputs.worker" in modules
    assert _loaded(modules, "wapiz.workers.runner", "wapiz.workers.retention") == []
    assert _loaded(modules, "nats", "aio_pika", "aiormq") == []
    assert _loaded(modules, "wapiz.engines.whatsmeow", "wapiz.engines.sandbox", "neonize") == []
    assert _loaded(modules, "wapiz.sandbox") == []  # the simulated phone: sandbox engine only


def test_a_runner_process_loads_no_web_framework(processes: dict) -> None:
    modules = processes["runner"]["modules"]
    assert "wapiz.workers.runner.runner" in modules and "wapiz.engines.sandbox.engine" in modules
    assert _loaded(modules, "fastapi", "starlette", "uvicorn", "wapiz.http") == []
    assert _loaded(modules, *(f"wapiz.{d}.router" for d in DOMAINS)) == []
    assert _loaded(modules, "wapiz.workers.dispatcher") == []  # webhooks go out from the API
    assert _loaded(modules, "wapiz.workers.outputs") == []  # and so do the broker outputs
