"""The `wapiz` command line: help, users create/list/set-plan, settings checks, secrets kept
out of the process list, and the data folder kept private."""

import os
import stat
from pathlib import Path

import httpx
import pytest

from tests.engines.whatsmeow.proxies import LoopbackProxy
from tests.support import Deployment, WapizProcess, wait_until, wapiz


def test_help_explains_every_command(deployment: Deployment) -> None:
    top = deployment.cli("--help").stdout
    for command in ("serve", "api", "runner", "migrate", "users"):
        assert command in top
    serve = deployment.cli("serve", "--help").stdout
    for flag in ("--host", "--port", "--data-dir", "--database-url", "--database-url-file",
                 "--engine", "--secret-key-file"):
        assert flag in serve
    # A secret on the command line shows in the process list: no option takes one.
    assert "--secret-key " not in serve and "--secret-key\n" not in serve
    assert "WAPIZ_SECRET_KEY" in top and "process list" in top
    users = deployment.cli("users", "--help").stdout
    for command in ("create", "list", "set-plan"):
        assert command in users


def test_users_create_list_and_set_plan(deployment: Deployment) -> None:
    deployment.migrate()
    created = deployment.cli("users", "create", "--email", "Ops@Example.com", "--name", "Ops",
                             "--password", "rahasia123")
    assert "ops@example.com" in created.stdout
    duplicate = deployment.cli("users", "create", "--email", "ops@example.com", "--name", "X",
                               "--password", "rahasia123", check=False)
    assert duplicate.returncode != 0 and "Email sudah terdaftar" in duplicate.stderr
    assert "ops@example.com  free" in deployment.cli("users", "list").stdout

    moved = deployment.cli("users", "set-plan", "ops@example.com", "regular")
    assert "regular" in moved.stdout
    unknown = deployment.cli("users", "set-plan", "ops@example.com", "platinum", check=False)
    assert unknown.returncode != 0 and "Paket tidak dikenal" in unknown.stderr

    live = deployment.serve()
    login = httpx.post(live.url + "/api/auth/login",
                       json={"email": "ops@example.com", "password": "rahasia123"})
    assert login.status_code == 200
    assert login.json()["user"]["plan"] == "regular"
    assert login.json()["user"]["deviceLimit"] == 3


def test_misspelled_setting_is_refused(deployment: Deployment) -> None:
    env = deployment.env()
    env["WAPIZ_PROT"] = "9000"
    result = wapiz("migrate", env=env, check=False)
    assert result.returncode == 2
    assert "WAPIZ_PROT" in result.stderr


def test_secret_key_is_generated_once_into_the_data_dir(deployment: Deployment) -> None:
    deployment.migrate()
    first = deployment.serve()
    secret_file = deployment.data_dir / "secret_key"
    assert secret_file.exists() and oct(secret_file.stat().st_mode & 0o777) == "0o600"
    secret = secret_file.read_text()
    token = httpx.post(first.url + "/api/auth/register",
                       json={"email": "s@example.com", "password": "rahasia123", "name": "S"}
                       ).json()["token"]
    first.stop()
    second = deployment.serve()
    assert secret_file.read_text() == secret
    me = httpx.get(second.url + "/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_version_and_one_line_per_bad_setting(deployment: Deployment) -> None:
    version = deployment.cli("--version")
    assert version.stdout.startswith("wapiz ") and version.stdout.strip() != "wapiz"

    env = deployment.env(port="99999")
    bad = wapiz("serve", "--engine", "sandbx", env=env, check=False)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "error: WAPIZ_PORT / --port tidak valid: Harus kurang dari atau sama dengan 65535",
        "error: WAPIZ_ENGINE / --engine tidak valid: Harus salah satu dari: 'whatsmeow' atau "
        "'sandbox'",
    ]
    english = wapiz("migrate", env={**deployment.env(), "WAPIZ_ENGINE": "sandbx",
                                    "LANG": "en_US.UTF-8"}, check=False)
    assert english.returncode == 2 and english.stderr.splitlines() == [
        "error: WAPIZ_ENGINE / --engine is not valid: Input should be 'whatsmeow' or 'sandbox'"]


def test_users_create_checks_input_as_the_api_does(deployment: Deployment) -> None:
    deployment.migrate()
    bad = deployment.cli("users", "create", "--email", "notanemail", "--name", "X",
                         "--password", "rahasia123", check=False)
    assert bad.returncode == 2
    [line] = bad.stderr.splitlines()
    assert line.startswith("error: --email tidak valid: ") and "@" in line, line
    short = deployment.cli("users", "create", "--email", "a@example.com", "--name", " ",
                           "--password", "pendek", check=False)
    assert short.returncode == 2 and [line.split(":")[1].strip() for line in
                                      short.stderr.splitlines()] == ["--password tidak valid",
                                                                     "--name tidak valid"]
    assert "notanemail" not in deployment.cli("users", "list").stdout


def test_messages_follow_wapiz_language_or_the_locale(deployment: Deployment) -> None:
    deployment.migrate()
    env = deployment.env()
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        env.pop(key, None)
    created = wapiz("users", "create", "--email", "en@example.com", "--name", "En",
                    "--password", "rahasia123", env=env)
    assert created.stdout.startswith("dibuat en@example.com (free)")
    moved = wapiz("users", "set-plan", "en@example.com", "pro",
                  env={**env, "LC_ALL": "en_GB.UTF-8"})
    assert moved.stdout.strip() == "en@example.com is now on pro"
    unknown = wapiz("users", "set-plan", "en@example.com", "platinum",
                    env={**env, "LANG": "en_US.UTF-8", "WAPIZ_LANGUAGE": "id"}, check=False)
    assert unknown.returncode == 1 and "Paket tidak dikenal" in unknown.stderr
    english = wapiz("users", "set-plan", "en@example.com", "platinum",
                    env={**env, "WAPIZ_LANGUAGE": "en"}, check=False)
    assert english.stderr.startswith("error: ") and "Paket" not in english.stderr


def test_secrets_come_from_files_or_the_environment_never_argv(
        deployment: Deployment, tmp_path: Path) -> None:
    with_password = wapiz("migrate", "--database-url", "postgresql://u:hunter2@127.0.0.1/x",
                          env=deployment.env(), check=False)
    assert with_password.returncode == 2
    assert with_password.stderr.splitlines() == [
        "error: --database-url berisi kata sandi, yang terlihat oleh semua pengguna di daftar "
        "proses: pakai WAPIZ_DATABASE_URL atau --database-url-file"]
    url_file = tmp_path / "database_url"
    url_file.write_text(deployment.database_url + "\n")
    env = deployment.env()
    del env["WAPIZ_DATABASE_URL"]
    assert "up to date" in wapiz("migrate", "--database-url-file", str(url_file),
                                 env={**env, "WAPIZ_LANGUAGE": "en"}).stdout

    secret = "kunci-rahasia-" + os.urandom(8).hex()
    key_file = tmp_path / "secret_key"
    key_file.write_text(secret + "\n")
    server = deployment.serve(secret_key_file=str(key_file))
    assert not (deployment.data_dir / "secret_key").exists()  # the file's key is used
    [runner] = wait_until(server.runner_pids, timeout=15)
    for pid in (server.pid, runner):
        assert secret not in Path(f"/proc/{pid}/cmdline").read_text()
    # The runner has it from its environment, the one way a child gets it unseen.
    assert f"WAPIZ_SECRET_KEY={secret}" in Path(f"/proc/{runner}/environ").read_text()
    both = wapiz("migrate", env={**deployment.env(secret_key="x"),
                                 "WAPIZ_SECRET_KEY_FILE": str(key_file)}, check=False)
    assert both.returncode == 2 and "not both" in both.stderr


def test_the_data_folder_is_private(deployment: Deployment) -> None:
    """Every file `wapiz serve` writes in the data folder (the SQLite database and the files
    beside it, the secret, the WhatsApp key stores) is readable by its account alone."""
    if deployment.backend != "sqlite":
        pytest.skip("the database is in PostgreSQL: its files are the server's")
    # What an older version left: a data folder and a database anyone on the machine reads.
    deployment.data_dir.mkdir(mode=0o755)
    os.chmod(deployment.data_dir, 0o755)
    deployment.migrate()
    database = deployment.data_dir / "wapiz.db"
    os.chmod(database, 0o644)
    os.chmod(deployment.data_dir, 0o755)

    # A route that gets through (a tunnelling stand-in proxy) makes the device's key store.
    tunnel = LoopbackProxy(tunnels=True)
    server = deployment.serve(engine="whatsmeow", proxy=tunnel.url)
    try:
        _check_private_files(deployment, server)
    finally:
        tunnel.close()


def _check_private_files(deployment: Deployment, server: WapizProcess) -> None:
    assert "made 2 files and folders under" in server.log()
    token = httpx.post(server.url + "/api/auth/register", json={
        "email": "p@example.com", "password": "rahasia123", "name": "P"}).json()["token"]
    device = httpx.post(server.url + "/api/devices", json={},
                        headers={"Authorization": f"Bearer {token}"}).json()
    store = deployment.data_dir / "whatsmeow" / f"{device['id']}.db"
    wait_until(store.exists, timeout=30)

    assert mode(deployment.data_dir) == "0o700"
    assert mode(store.parent) == "0o700"
    written = [path for path in deployment.data_dir.rglob("*") if not path.is_dir()]
    names = {path.name for path in written}
    assert {"wapiz.db", "wapiz.db-wal", "wapiz.db-shm", "secret_key", store.name} <= names, names
    assert any(name.endswith(".lock") for name in names), names
    files = [path for path in written if path.is_file()]
    assert {path.name: mode(path) for path in files} == {path.name: "0o600" for path in files}
    # The rest (the wake-up sockets) is the account's alone too.
    assert [path.name for path in written if path.stat().st_mode & 0o077] == []
