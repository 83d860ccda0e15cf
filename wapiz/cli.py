"""The `wapiz` command line."""

import asyncio
import contextlib
import getpass
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from wapiz.config import ConfigError, Settings, load_settings

app = typer.Typer(
    help="WAPIZ: a self-hostable, multi-tenant WhatsApp API gateway.\n\n"
    "Every option can also be set as a WAPIZ_* environment variable "
    "(e.g. --data-dir is WAPIZ_DATA_DIR).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")

HostOpt = Annotated[str | None, typer.Option(help="Bind address [WAPIZ_HOST; 127.0.0.1].")]
PortOpt = Annotated[int | None, typer.Option(help="HTTP port [WAPIZ_PORT; 8080].")]
DataDirOpt = Annotated[Path | None, typer.Option(help="Data directory [WAPIZ_DATA_DIR; ./data].")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(help="Database URL [WAPIZ_DATABASE_URL; SQLite in the data dir]."),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(help="WhatsApp engine: whatsmeow or sandbox [WAPIZ_ENGINE; whatsmeow]."),
]
SecretOpt = Annotated[
    str | None,
    typer.Option(
        help="Secret key [WAPIZ_SECRET_KEY; generated into the data dir].", show_default=False
    ),
]
MigrateOpt = Annotated[
    bool, typer.Option("--migrate/--no-migrate", help="Apply migrations before serving.")
]


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**overrides)
    except (ConfigError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO: a line per webhook attempt (each is in the
    # deliveries' log already). Its warnings still show.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    return settings


@contextlib.contextmanager
def _config_errors() -> Iterator[None]:
    """Settings or a database that cannot work: one clear line, exit status 2."""
    try:
        yield
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _migrate(settings: Settings) -> None:
    from wapiz.db.migrate import upgrade

    upgrade(settings)


def _schema_is_current(settings: Settings) -> bool:
    from wapiz.db.schema import check_schema

    try:
        asyncio.run(check_schema(settings))
    except Exception:  # not migrated, or no database yet
        return False
    return True


def _require_migrated(settings: Settings) -> None:
    from wapiz.db.schema import check_schema

    with _config_errors():
        asyncio.run(check_schema(settings))


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    engine: EngineOpt = None,
    secret_key: SecretOpt = None,
    migrate: MigrateOpt = True,
) -> None:
    """Run everything on this machine: the HTTP API and a supervised runner."""
    from wapiz.server import serve as serve_all

    settings = _settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        engine=engine,
        secret_key=secret_key,
    )
    if migrate and not _schema_is_current(settings):
        _migrate(settings)  # Alembic is loaded only when there is something to do
    else:
        _require_migrated(settings)
    serve_all(settings, with_runner=True)


@app.command()
def api(
    host: HostOpt = None,
    port: PortOpt = None,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    engine: EngineOpt = None,
    secret_key: SecretOpt = None,
) -> None:
    """Run only the HTTP API (scale out: several `api` and `runner` processes, one database)."""
    from wapiz.server import serve as serve_all

    settings = _settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        engine=engine,
        secret_key=secret_key,
    )
    _require_migrated(settings)
    serve_all(settings, with_runner=False)


@app.command()
def runner(
    name: Annotated[str | None, typer.Option(help="Runner name [WAPIZ_RUNNER_NAME; host].")] = None,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    engine: EngineOpt = None,
    identity: Annotated[str | None, typer.Option(hidden=True)] = None,
    parent_pid: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run a runner: lease devices and hold their WhatsApp sessions.

    The command supervises the runner process that holds the sessions, restarting it when
    it dies (an engine can abort the process) or asks to be recycled."""
    from wapiz.runner.process import run_runner_process, supervise_runner

    settings = _settings(
        runner_name=name, data_dir=data_dir, database_url=database_url, engine=engine
    )
    with _config_errors():
        if identity is None:
            supervise_runner(settings)
        else:
            run_runner_process(settings, identity, parent_pid)


@app.command()
def migrate(data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Apply database migrations (bring the schema to the newest version)."""
    _migrate(_settings(data_dir=data_dir, database_url=database_url))
    typer.echo("database is up to date")


def _run_in_session(settings: Settings, work):  # type: ignore[no-untyped-def]
    from wapiz.accounts.service import AccountService
    from wapiz.db.database import Database
    from wapiz.errors import WapizError

    async def main():  # type: ignore[no-untyped-def]
        database = Database(settings, "wapiz-cli")
        try:
            async with database.session_scope() as session:
                return await work(AccountService(session, settings))
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except WapizError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    password: Annotated[
        str | None, typer.Option(help="Password (asked for when omitted).", show_default=False)
    ] = None,
    plan: Annotated[str, typer.Option(help="Plan: free, lite, regular, pro, business.")] = "free",
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a user."""
    settings = _settings(data_dir=data_dir, database_url=database_url)
    password = password or getpass.getpass("Password: ")
    if len(password) < 8:
        typer.echo("error: password must have at least 8 characters", err=True)
        raise typer.Exit(2)
    user = _run_in_session(
        settings, lambda accounts: accounts.create_user(email, password, name, plan)
    )
    typer.echo(f"created {user.email} ({user.plan}) id={user.id}")


@users_app.command("list")
def users_list(data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List users with their plans."""
    settings = _settings(data_dir=data_dir, database_url=database_url)
    for user in _run_in_session(settings, lambda accounts: accounts.list_users()):
        typer.echo(f"{user.id}  {user.email}  {user.plan}  {user.name}")


@users_app.command("set-plan")
def users_set_plan(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    plan: Annotated[str, typer.Argument(help="free, lite, regular, pro or business.")],
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Move a user to another plan."""
    settings = _settings(data_dir=data_dir, database_url=database_url)
    user = _run_in_session(settings, lambda accounts: accounts.set_plan(email, plan))
    typer.echo(f"{user.email} is now on {user.plan}")


def main() -> None:
    app()
