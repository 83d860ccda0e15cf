"""The `wapiz` command line: help, users create/list/set-plan, and settings checks."""

import httpx

from tests.support import Deployment, wapiz


def test_help_explains_every_command(deployment: Deployment) -> None:
    top = deployment.cli("--help").stdout
    for command in ("serve", "api", "runner", "migrate", "users"):
        assert command in top
    serve = deployment.cli("serve", "--help").stdout
    for flag in ("--host", "--port", "--data-dir", "--database-url", "--engine", "--secret-key"):
        assert flag in serve
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
