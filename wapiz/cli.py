"""The `wapiz` command line.

What it says to a person (results, errors) is in Indonesian, or in English when
WAPIZ_LANGUAGE or the locale asks for it (`wapiz.kit.text.cli_language`); a problem is one line,
`error: …`, with exit status 2 for settings and input, 1 for a refused operation.
"""

import asyncio
import contextlib
import getpass
import logging
from collections.abc import Awaitable, Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from wapiz.config import ENV_PREFIX, ConfigError, Settings, database_password, load_settings
from wapiz.kit import validation
from wapiz.kit.text import Text, cli_language

if TYPE_CHECKING:  # imported where used: each command loads only what it runs
    from sqlalchemy.ext.asyncio import AsyncSession

    from wapiz.accounts.service import AccountService
    from wapiz.cluster.schemas import ClusterOut

app = typer.Typer(
    help="WAPIZ: a self-hostable, multi-tenant WhatsApp API gateway.\n\n"
    "Every option can also be set as a WAPIZ_* environment variable "
    "(e.g. --data-dir is WAPIZ_DATA_DIR). Secrets are never options (the process list "
    "shows options to every local user): the secret key comes from WAPIZ_SECRET_KEY or "
    "--secret-key-file, a database password from WAPIZ_DATABASE_URL or --database-url-file. "
    "Messages are in Indonesian, or English with WAPIZ_LANGUAGE=en or an English locale.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
cluster_app = typer.Typer(help="The deployment's API and runner processes.",
                          no_args_is_help=True)
app.add_typer(cluster_app, name="cluster")

HostOpt = Annotated[str | None, typer.Option(help="Bind address [WAPIZ_HOST; 127.0.0.1].")]
PortOpt = Annotated[int | None, typer.Option(help="HTTP port [WAPIZ_PORT; 8080].")]
DataDirOpt = Annotated[Path | None, typer.Option(help="Data directory [WAPIZ_DATA_DIR; ./data].")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option(help="Database URL, without a password [WAPIZ_DATABASE_URL; SQLite in the "
                 "data dir]. A URL with a password goes in WAPIZ_DATABASE_URL or a file."),
]
DatabaseFileOpt = Annotated[
    Path | None,
    typer.Option(help="File holding the database URL (may hold its password) "
                 "[WAPIZ_DATABASE_URL_FILE].", show_default=False),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(help="WhatsApp engine: whatsmeow or sandbox [WAPIZ_ENGINE; whatsmeow]."),
]
SecretFileOpt = Annotated[
    Path | None,
    typer.Option(
        help="File holding the secret key [WAPIZ_SECRET_KEY_FILE, or the key itself in "
        "WAPIZ_SECRET_KEY; generated into the data dir].", show_default=False
    ),
]
MigrateOpt = Annotated[
    bool, typer.Option("--migrate/--no-migrate", help="Apply migrations before serving.")
]


# Settings that are also flags, to name both in a problem.
FLAGS = {"host": "--host", "port": "--port", "data_dir": "--data-dir",
         "database_url": "--database-url", "database_url_file": "--database-url-file",
         "engine": "--engine", "secret_key_file": "--secret-key-file", "runner_name": "--name"}
NOT_VALID = Text("{name} tidak valid: {problem}", "{name} is not valid: {problem}")
PASSWORD_IN_FLAG = Text(
    "--database-url berisi kata sandi, yang terlihat oleh semua pengguna di daftar proses: "
    "pakai WAPIZ_DATABASE_URL atau --database-url-file",
    "--database-url holds a password, which every local user sees in the process list: use "
    "WAPIZ_DATABASE_URL or --database-url-file")


def _say(text: Text) -> None:
    typer.echo(text(cli_language()))


def _fail(*problems: Text, status: int = 2) -> NoReturn:
    for problem in problems:
        typer.echo(f"error: {problem(cli_language())}", err=True)
    raise typer.Exit(status)


def _problems(exc: ValidationError, name_of: Callable[[str], str]) -> list[Text]:
    """One line per problem pydantic found, naming the setting or option as the user gave it,
    in the words the API uses for the same problem."""
    problems = []
    for error in exc.errors():
        problem = validation.reason(error)
        if error.get("loc"):
            name = name_of(str(error["loc"][0]))
            problems.append(Text(NOT_VALID.id.format(name=name, problem=problem.id),
                                 NOT_VALID.en.format(name=name, problem=problem.en)))
        else:
            problems.append(problem)
    return problems


def _setting_name(field: str) -> str:
    variable = ENV_PREFIX + field.upper()
    return f"{variable} / {FLAGS[field]}" if field in FLAGS else variable


def _settings(**overrides: object) -> Settings:
    from wapiz.datadir import secure_data_dir

    database_url = overrides.get("database_url")
    if isinstance(database_url, str) and database_password(database_url):
        _fail(PASSWORD_IN_FLAG)
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        _fail(exc.text)
    except ValidationError as exc:
        _fail(*_problems(exc, _setting_name))
    except (SettingsError, ValueError) as exc:  # a value the environment cannot give (JSON)
        _fail(Text(str(exc), str(exc)))
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO: a line per webhook attempt (each is in the
    # deliveries' log already). Its warnings still show.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        secure_data_dir(settings)
    except OSError as exc:
        _fail(Text("folder data {path} tidak bisa dipakai: {error}",
                   "the data dir {path} cannot be used: {error}")
              .format(path=settings.data_dir, error=exc.strerror or exc))
    return settings


@contextlib.contextmanager
def _config_errors() -> Iterator[None]:
    """Settings or a database that cannot work: one clear line, exit status 2."""
    try:
        yield
    except ConfigError as exc:
        _fail(exc.text)


def _version(asked: bool) -> None:
    if asked:
        try:
            typer.echo(f"wapiz {version('wapiz')}")
        except PackageNotFoundError:  # run from a source tree that is not installed
            typer.echo("wapiz (unknown version)")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[bool, typer.Option(
        "--version", help="Show the version and exit.", is_eager=True, callback=_version)] = False,
) -> None:
    """The options common to every command (--version); the commands do the work."""


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
    database_url_file: DatabaseFileOpt = None,
    engine: EngineOpt = None,
    secret_key_file: SecretFileOpt = None,
    migrate: MigrateOpt = True,
) -> None:
    """Run everything on this machine: the HTTP API and a supervised runner."""
    from wapiz.http.server import serve as serve_all

    settings = _settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        database_url_file=database_url_file,
        engine=engine,
        secret_key_file=secret_key_file,
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
    database_url_file: DatabaseFileOpt = None,
    engine: EngineOpt = None,
    secret_key_file: SecretFileOpt = None,
) -> None:
    """Run only the HTTP API (scale out: several `api` and `runner` processes, one database)."""
    from wapiz.http.server import serve as serve_all

    settings = _settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        database_url_file=database_url_file,
        engine=engine,
        secret_key_file=secret_key_file,
    )
    _require_migrated(settings)
    serve_all(settings, with_runner=False)


@app.command()
def runner(
    name: Annotated[str | None, typer.Option(help="Runner name [WAPIZ_RUNNER_NAME; host].")] = None,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    database_url_file: DatabaseFileOpt = None,
    engine: EngineOpt = None,
    identity: Annotated[str | None, typer.Option(hidden=True)] = None,
    parent_pid: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run a runner: lease devices and hold their WhatsApp sessions.

    The command supervises the runner process that holds the sessions, restarting it when
    it dies (an engine can abort the process) or asks to be recycled."""
    from wapiz.workers.runner.process import run_runner_process, supervise_runner

    settings = _settings(runner_name=name, data_dir=data_dir, database_url=database_url,
                         database_url_file=database_url_file, engine=engine)
    with _config_errors():
        if identity is None:
            supervise_runner(settings)
        else:
            run_runner_process(settings, identity, parent_pid)


@app.command()
def migrate(data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
            database_url_file: DatabaseFileOpt = None) -> None:
    """Apply database migrations (bring the schema to the newest version)."""
    _migrate(_settings(data_dir=data_dir, database_url=database_url,
                       database_url_file=database_url_file))
    _say(Text("database sudah versi terbaru", "database is up to date"))


Result = TypeVar("Result")


def _in_session(settings: Settings,
                work: "Callable[[AsyncSession], Awaitable[Result]]") -> Result:
    from wapiz.db.database import Database
    from wapiz.kit.errors import WapizError

    async def main() -> Result:
        database = Database(settings, "wapiz-cli")
        try:
            async with database.session_scope() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except WapizError as exc:
        _fail(exc.text, status=1)


def _run_in_session(settings: Settings,
                    work: "Callable[[AccountService], Awaitable[Result]]") -> Result:
    from wapiz.accounts.service import AccountService

    return _in_session(settings, lambda session: work(AccountService(session, settings)))


OPTION_OF = {"email": "--email", "password": "--password", "name": "--name"}


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    password: Annotated[
        str | None, typer.Option(help="Password (asked for when omitted).", show_default=False)
    ] = None,
    plan: Annotated[str, typer.Option(help="Plan: free, lite, regular, pro, business.")] = "free",
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin (the admin "
                                        "area: users, devices, invites, health).")] = False,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    database_url_file: DatabaseFileOpt = None,
) -> None:
    """Create a user (the same checks as signing up through the API, whatever WAPIZ_SIGNUP
    says)."""
    from wapiz.accounts.schemas import RegisterIn

    settings = _settings(data_dir=data_dir, database_url=database_url,
                         database_url_file=database_url_file)
    password = password or getpass.getpass(Text("Kata sandi: ", "Password: ")(cli_language()))
    try:
        account = RegisterIn(email=email, password=password, name=name)
    except ValidationError as exc:
        _fail(*_problems(exc, lambda field: OPTION_OF.get(field, field)))
    user = _run_in_session(settings, lambda accounts: accounts.create_user(
        account.email, account.password, account.name, plan, is_admin=admin))
    _say(Text("dibuat {email} ({plan}{admin}) id={id}", "created {email} ({plan}{admin}) id={id}")
         .format(email=user.email, plan=user.plan, id=user.id,
                 admin=", admin" if user.is_admin else ""))


@users_app.command("list")
def users_list(data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
               database_url_file: DatabaseFileOpt = None) -> None:
    """List users with their plans."""
    settings = _settings(data_dir=data_dir, database_url=database_url,
                         database_url_file=database_url_file)
    for user in _run_in_session(settings, lambda accounts: accounts.list_users()):
        marks = "".join(f"  [{mark}]" for mark, on in (("admin", user.is_admin),
                                                      ("disabled", user.disabled)) if on)
        typer.echo(f"{user.id}  {user.email}  {user.plan}  {user.name}{marks}")


@users_app.command("set-plan")
def users_set_plan(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    plan: Annotated[str, typer.Argument(help="free, lite, regular, pro or business.")],
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    database_url_file: DatabaseFileOpt = None,
) -> None:
    """Move a user to another plan."""
    settings = _settings(data_dir=data_dir, database_url=database_url,
                         database_url_file=database_url_file)
    user = _run_in_session(settings, lambda accounts: accounts.set_plan(email, plan))
    _say(Text("{email} sekarang di paket {plan}", "{email} is now on {plan}")
         .format(email=user.email, plan=user.plan))


@users_app.command("set-admin")
def users_set_admin(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    off: Annotated[bool, typer.Option("--off", help="Remove the admin rights instead.")] = False,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    database_url_file: DatabaseFileOpt = None,
) -> None:
    """Make a user an admin (or, with --off, no longer one)."""
    settings = _settings(data_dir=data_dir, database_url=database_url,
                         database_url_file=database_url_file)
    user = _run_in_session(settings, lambda accounts: accounts.set_admin(email, not off))
    if user.is_admin:
        _say(Text("{email} sekarang admin", "{email} is now an admin").format(email=user.email))
    else:
        _say(Text("{email} bukan admin lagi", "{email} is no longer an admin")
             .format(email=user.email))


CLUSTER_COLUMNS = Text("NAMA PERAN VERSI KAPASITAS DEVICE DETAK STATUS",
                       "NAME ROLE VERSION CAPACITY DEVICES HEARTBEAT STATE")
NODE_STATES = {"alive": Text("hidup", "alive"), "draining": Text("menguras", "draining"),
               "silent": Text("diam", "silent")}


def _cluster_table(cluster: "ClusterOut") -> list[list[str]]:
    language = cli_language()
    rows = [CLUSTER_COLUMNS(language).split()]
    for node in cluster.nodes:
        state = "draining" if node.draining else "alive" if node.alive else "silent"
        role = node.role if node.runner_role in (None, "all") else (
            f"{node.role}:{node.runner_role}")
        rows.append([node.name, role, node.version,
                     "-" if node.capacity is None else str(node.capacity),
                     "-" if node.devices_held is None else str(node.devices_held),
                     f"{node.heartbeat_age_seconds:.1f}s", NODE_STATES[state](language)])
    return rows


@cluster_app.command("status")
def cluster_status(
    as_json: Annotated[bool, typer.Option("--json", help="The answer of GET "
                                          "/api/admin/cluster, as JSON.")] = False,
    data_dir: DataDirOpt = None,
    database_url: DatabaseOpt = None,
    database_url_file: DatabaseFileOpt = None,
) -> None:
    """List the API and runner processes: role, version, capacity, devices held, heartbeat
    age, and whether each is alive or draining."""
    from wapiz.cluster.service import ClusterService

    settings = _settings(data_dir=data_dir, database_url=database_url,
                         database_url_file=database_url_file)
    _require_migrated(settings)
    cluster = _in_session(settings, lambda session: ClusterService(session, settings).status())
    if as_json:
        typer.echo(cluster.model_dump_json(by_alias=True, indent=2))
        return
    rows = _cluster_table(cluster)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                   .rstrip())
    _say(Text("{held} dari {devices} device dipegang; {runners} runner hidup",
              "{held} of {devices} devices held; {runners} live runners")
         .format(held=cluster.devices_held, devices=cluster.devices,
                 runners=cluster.live_runners))


def main() -> None:
    app()
