"""Settings: one typed object read from `WAPIZ_*` environment variables (and CLI flags).

Every process (API, runner) builds the same `Settings`; `wapiz serve` hands its flags to the
runner it starts through the environment, so both always agree.
"""

import ipaddress
import json
import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from wapiz.kit.addresses import not_allowed, proxy_host_port, proxy_url, refusal
from wapiz.kit.origins import web_origin
from wapiz.kit.text import Language, Text, same_in_both

ENV_PREFIX = "WAPIZ_"
EngineName = Literal["whatsmeow", "sandbox"]
SignupMode = Literal["open", "closed", "invite"]
PLAN_NAME_MAX = 32  # the users.plan column
MAX_PLANS = 50
SECRET_KEY_FILE = "secret_key"

DEFAULT_PLAN_LIMITS = {"free": 1, "lite": 1, "regular": 3, "pro": 3, "business": 3}

# An S3 bucket's name (legacy ones may hold capitals and underscores).
BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


class ConfigError(Exception):
    """Settings that cannot work (an unknown variable, an unusable data dir)."""

    def __init__(self, text: Text | str) -> None:
        self.text = text if isinstance(text, Text) else same_in_both(text)
        super().__init__(self.text.en)


def _read_secret_file(path: object, setting: str) -> str:
    """The one line of a secret's file (`WAPIZ_SECRET_KEY_FILE`, `WAPIZ_DATABASE_URL_FILE`)."""
    try:
        value = Path(str(path)).expanduser().read_text().strip()
    except OSError as exc:
        raise ValueError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    if not value:
        raise ValueError(f"{setting}: {path} is empty")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="Address the HTTP API binds to.")
    port: int = Field(8080, ge=1, le=65535, description="Port of the HTTP API.")
    data_dir: Path = Field(Path("data"), description="Where SQLite files and the secret live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; default: SQLite file in the data dir."
    )
    database_url_file: Path | None = Field(
        None, description="A file holding the database URL (keeps its password out of the "
        "environment and the process list)."
    )
    engine: EngineName = Field(
        "whatsmeow", description="WhatsApp engine: whatsmeow (real WhatsApp) or sandbox."
    )
    proxy: str | None = Field(
        None, description="http(s):// or socks5:// proxy for every whatsmeow connection."
    )
    proxy_allow_private: bool = Field(
        False, description="Let proxies (WAPIZ_PROXY and devices' own) be loopback or private "
        "addresses (local development and tests only: otherwise refused, as a way into the "
        "server's network).",
    )
    reconnect_max_seconds: float = Field(
        60.0, gt=0, description="Longest wait between reconnect attempts (backoff cap)."
    )
    default_country_code: str = Field(
        "62", pattern=r"^[1-9]\d{0,2}$",
        description="Country code for numbers written with a leading 0 (0812… → 62812…).",
    )
    media_max_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024,
        description="Largest file a message may carry (upload, base64 or fetched from a URL).",
    )
    media_fetch_timeout_seconds: float = Field(
        30.0, gt=0, description="Limit on fetching a send's `mediaUrl`."
    )
    media_allow_private: bool = Field(
        False, description="Let `mediaUrl` name loopback or private addresses (local "
        "development and tests only: otherwise refused, as a way into the server's network).",
    )
    media_store: str = Field(
        "database", description="Where files' bytes are kept: `database` (on their rows) or "
        "an S3-compatible bucket, `s3://bucket/prefix` (the rows keep each file's "
        "description and its object's key). Credentials: the usual AWS variables "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE …).",
    )
    s3_endpoint_url: str | None = Field(
        None, description="The S3-compatible server (MinIO, Ceph, R2 …), e.g. "
        "https://minio.example.com:9000; default: AWS S3 itself.",
    )
    s3_region: str | None = Field(
        None, description="The bucket's region (default: AWS_REGION / AWS_DEFAULT_REGION, "
        "else us-east-1).",
    )
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto", description="Bucket in the path (most S3-compatible servers) or in the host "
        "name (AWS); `auto` lets botocore choose.",
    )
    s3_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Limit on connecting to the store and on each read "
        "of its answer.",
    )
    public_url: str | None = Field(
        None, description="The API's address as webhook receivers reach it, for the file "
        "URLs in events (default: http://<host>:<port>).",
    )
    webhook_allow_private: bool = Field(
        False, description="Let webhook URLs reach loopback or private addresses (local "
        "development and tests only).",
    )
    webhook_timeout_seconds: float = Field(
        15.0, gt=0, le=60, description="Limit on one webhook delivery attempt."
    )
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        description="Seconds before each retry of a failed webhook delivery (±20 % "
        "jitter), after an immediate first attempt, as JSON.",
    )
    # Bounded above so that "now minus the retention" is always a date.
    webhook_retention_days: int = Field(
        30, ge=1, le=36500, description="Days a finished webhook delivery (succeeded or "
        "failed) and its attempt log are kept after it finished.",
    )
    event_retention_days: int = Field(
        7, ge=1, le=36500, description="Days an event is kept for the event streams and "
        "brokers to resume from (one a webhook delivery still needs is kept longer).",
    )
    events_nats_url: SecretStr | None = Field(
        None, description="NATS server to publish every event to, through JetStream "
        "(nats://user:password@host:4222); subject <prefix>.<userId>.<deviceId>.<type>.",
    )
    events_nats_stream: str = Field(
        "WAPIZ", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The JetStream stream that "
        "stores the events: created (subjects <prefix>.>) if it does not exist.",
    )
    events_amqp_url: SecretStr | None = Field(
        None, description="RabbitMQ (AMQP 0-9-1) broker to publish every event to "
        "(amqp://user:password@host:5672/vhost, or amqps://).",
    )
    events_amqp_exchange: str = Field(
        "wapiz.events", pattern=r"^[A-Za-z0-9_.:-]{1,127}$", description="The durable topic "
        "exchange events are published to (declared if missing); routing key = the subject.",
    )
    events_prefix: str = Field(
        "wapiz", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="First token of every event's "
        "subject and routing key (several gateways on one broker: one each).",
    )
    media_retention_days: int = Field(
        30, ge=0, le=36500, description="Days the bytes of a message's file are kept (0: for "
        "ever); its description stays. A file a queued message still needs is always kept.",
    )
    watchdog_seconds: float = Field(
        300.0, gt=0, description="Silence after which a session is probed, then reconnected."
    )
    engine_call_timeout_seconds: float = Field(
        30.0, gt=0, description="Limit on one send, download or number check."
    )
    whatsmeow_recycle_after: int | None = Field(
        None,
        ge=1,
        description="Connects that reached the Go library (a route that is down never does) "
        "after which the quarantine runner restarts itself to free what the library leaks "
        "(default 200, or "
        "20 with the PostgreSQL key store).",
    )
    secret_key: SecretStr | None = Field(
        None, description="Key for token hashing; generated into the data dir when absent."
    )
    secret_key_file: Path | None = Field(
        None, description="A file holding the secret key (instead of WAPIZ_SECRET_KEY)."
    )
    language: Language | None = Field(
        None, description="Language of the command line's messages, id or en (default: the "
        "locale's, else id). The API answers in the language each request asks for."
    )
    cookie_secure: bool = Field(
        False, description="Mark the wa_token cookie Secure (HTTPS); it is whenever the "
        "public URL is https.")
    # NoDecode: the list may be written as people write it (comma-separated), not only JSON.
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins (https://dash.example.com) whose pages may "
        "call the API with the cookie: CORS lets them read the answers, and their "
        "state-changing calls pass the cross-site check. JSON or comma-separated; none by "
        "default.")
    token_ttl_days: int = Field(30, ge=1, description="Lifetime of a login token.")
    plan_limits: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_PLAN_LIMITS),
        description='Devices allowed per plan, as JSON: {"free": 1, "regular": 3, ...}.',
    )
    signup: SignupMode = Field(
        "open", description="Who may create an account through the API: open (anyone), "
        "invite (with an admin's invite code) or closed (only `wapiz users create`); the default "
        "until an admin sets the mode at run time (PATCH /api/admin/settings).",
    )
    invite_ttl_days: int = Field(7, ge=1, le=365, description="Lifetime of an invite code.")
    login_max_failures: int = Field(5, ge=1, description="Failed logins before throttling.")
    login_lockout_seconds: int = Field(30, ge=1, description="First lockout; doubles after.")
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed logins from one client address (any emails) before it "
        "is throttled like an email.",
    )
    signup_max_per_address: int = Field(
        10, ge=1, description="Sign-ups from one client address before it is throttled.",
    )
    password_hash_slots: int = Field(
        default_factory=lambda: len(os.sched_getaffinity(0)), ge=1, le=256,
        description="Password hashes (Argon2, 64 MiB each) one API process runs at once "
        "(default: its cores); a few more per slot wait, beyond that 503.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Addresses or networks of reverse proxies whose "
        "X-Forwarded-For names the client (JSON or comma-separated); none by default: the "
        "client is the connection's peer.",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="Largest request body; a "
        "body that may carry a file (a send, a batch, an upload) may be that file larger.",
    )
    lease_ttl_seconds: float = Field(10.0, gt=0, description="How long a runner's lease lasts.")
    runner_poll_seconds: float = Field(1.0, gt=0, description="Runner's look for new devices.")
    runner_name: str | None = Field(None, description="Name of this runner (default: host).")
    database_pool_size: int = Field(
        10, ge=1, le=100,
        description="Connections an API or runner process keeps to the database (on "
        "PostgreSQL as many more in a burst).")
    runner_capacity: int = Field(
        1000, ge=1, le=100_000,
        description="Most devices one runner holds; runners share the devices evenly below it.")
    sandbox_qr_seconds: float = Field(20.0, gt=0, description="Sandbox QR rotation period.")
    auth_cache_seconds: float = Field(
        5.0, ge=0, description="How long an API process trusts a checked token (0: never)."
    )
    status_cache_seconds: float = Field(
        0.5, ge=0, description="How long an API process reuses a device's status (0: never)."
    )
    stream_buffer_events: int = Field(
        1000, ge=100, le=100_000, description="Events an event stream (GET /api/events) may "
        "have waiting for a slow client before it is told it fell behind and is closed.",
    )
    qr_wait_seconds: float = Field(5.0, ge=0, description="How long /qr waits for a first QR.")
    metrics_token: SecretStr | None = Field(
        None, min_length=16, description="Bearer token for GET /metrics on the API's port "
        "(served only when set) and for the metrics port (when set).",
    )
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="Port of a metrics listener of the process's own "
        "(GET /metrics, no token needed unless WAPIZ_METRICS_TOKEN is set): the way to "
        "scrape `wapiz runner`; `serve` and `api` serve the same text there.",
    )
    metrics_host: str = Field(
        "127.0.0.1", description="Address the metrics port binds to (loopback by default).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, values: object) -> object:
        """`*_FILE` settings stand for their setting, read from the file (not both)."""
        if not isinstance(values, dict):
            return values
        values = dict(values)
        for name in ("secret_key", "database_url"):
            path = values.get(f"{name}_file")
            if path in (None, ""):
                continue
            setting = ENV_PREFIX + name.upper()
            if values.get(name) not in (None, ""):
                raise ValueError(f"set {setting} or {setting}_FILE, not both")
            values[name] = _read_secret_file(path, f"{setting}_FILE")
        return values

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        if url is None or url == "":
            return None
        # Accept the URLs people paste (postgres://, postgresql://) and pick the async driver.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, url: str | None) -> str | None:
        return proxy_url(url) if url else None

    @field_validator("public_url")
    @classmethod
    def _public_url_http(cls, url: str | None) -> str | None:
        if not url:
            return None
        web_origin(url)  # ValueError unless http(s)://host
        return url

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _retries_sane(cls, delays: list[float]) -> list[float]:
        if len(delays) > 20 or any(not 0 < delay <= 7 * 86400 for delay in delays):
            raise ValueError("webhook_retry_schedule: at most 20 delays, each over 0 s and "
                             "at most a week")
        return delays

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _written_list(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [item.strip() for item in value.split(",") if item.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _origins_only(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            parts = urlsplit(origin.strip())
            if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
                raise ValueError(f"cors_origins: {origin!r} is not an origin "
                                 "(scheme://host[:port], no path)")
        # web_origin refuses `*` too: any site at all, with the cookie, is what CSRF is.
        return list(dict.fromkeys(web_origin(origin) for origin in origins))

    @field_validator("plan_limits")
    @classmethod
    def _plans_known(cls, limits: dict[str, int]) -> dict[str, int]:
        if "free" not in limits:
            raise ValueError("plan_limits must define the 'free' plan (new users start on it)")
        if any(limit < 0 or limit > 100_000 for limit in limits.values()):
            raise ValueError("plan limits must be between 0 and 100000 devices")
        if len(limits) > MAX_PLANS or any(
                not 0 < len(name) <= PLAN_NAME_MAX for name in limits):
            raise ValueError(f"at most {MAX_PLANS} plans, each name 1-{PLAN_NAME_MAX} "
                             "characters")
        return {name.lower(): limit for name, limit in limits.items()}

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {proxy!r} is not an address or a network "
                                 "(e.g. 10.0.0.5 or 10.0.0.0/8)") from None
        return proxies

    @field_validator("media_store")
    @classmethod
    def _media_store_known(cls, store: str) -> str:
        if store == "database":
            return store
        parts = urlsplit(store)
        # A bucket's name is letters, digits, dots and hyphens: nothing that would read as
        # credentials or a port (keys go in AWS_ACCESS_KEY_ID …, never in this URL).
        if (parts.scheme != "s3" or not BUCKET_NAME.fullmatch(parts.netloc) or parts.query
                or parts.fragment):
            raise ValueError("media_store: neither `database` nor s3://bucket/prefix "
                             "(a bucket name of letters, digits, dots and hyphens)")
        return store

    @field_validator("s3_endpoint_url")
    @classmethod
    def _s3_endpoint_is_a_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("s3_endpoint_url: an http:// or https:// URL with a host")
        try:
            parts.port  # noqa: B018 (reading it checks it)
        except ValueError:
            raise ValueError("s3_endpoint_url: its port is not a number from 0 to 65535") \
                from None
        return url

    @property
    def media_bucket(self) -> tuple[str, str] | None:
        """The bucket and the key prefix (no slashes around it) of an S3 media store."""
        if self.media_store == "database":
            return None
        parts = urlsplit(self.media_store)
        return parts.netloc, parts.path.strip("/")

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, path: Path) -> Path:
        return path.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'wapiz.db'}"

    @property
    def base_url(self) -> str:
        """Where webhook receivers reach the API (for links in events)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def own_origin(self) -> str | None:
        """The origin of the public URL; None when unset (then a request's Host is ours)."""
        return web_origin(self.public_url) if self.public_url else None

    @cached_property
    def trusted_origins(self) -> frozenset[str]:
        return frozenset(self.cors_origins)

    @property
    def secure_cookie(self) -> bool:
        """The token cookie is Secure when forced, or when the API is served over https."""
        return self.cookie_secure or (self.own_origin or "").startswith("https:")

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def secret(self) -> bytes:
        """The server secret: configured, or read from (or created in) the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return load_or_create_secret(self.data_dir).encode()

    def env(self) -> dict[str, str]:
        """These settings as `WAPIZ_*` variables, for a child process: secrets travel here,
        never in its command line (which every local user can read)."""
        values = self.model_dump(mode="json", exclude_none=True,
                                 exclude={"secret_key_file", "database_url_file"})
        env = {}
        for name, value in values.items():
            secret = getattr(self, name)
            if isinstance(secret, SecretStr):  # dumped masked: the value itself travels
                value = secret.get_secret_value()
            env[ENV_PREFIX + name.upper()] = value if isinstance(value, str) else json.dumps(value)
        return env


def load_or_create_secret(data_dir: Path) -> str:
    """Read the data dir's secret, creating it once.

    Written to a private temporary file and then hard-linked into place: the link either
    creates the complete file or fails because another process got there first, so a reader
    never sees a half-written secret.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    secret = path.read_text().strip()
    if not secret:
        raise ConfigError(Text("{path} kosong: hapus file itu atau isi WAPIZ_SECRET_KEY",
                               "{path} is empty: delete it or set WAPIZ_SECRET_KEY")
                          .format(path=path))
    return secret


def unknown_env_vars(environ: dict[str, str] | None = None) -> list[str]:
    """`WAPIZ_*` variables that name no setting: most likely a typo the user should hear of."""
    environ = dict(os.environ) if environ is None else environ
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known)


def database_password(url: str) -> bool:
    """Whether a database URL holds a password."""
    try:
        return bool(make_url(url).password)
    except Exception:  # not a URL SQLAlchemy reads: its own error says so later
        return False


def _refused_proxy(settings: Settings) -> Text | None:
    """Why WAPIZ_PROXY, given as an address, may not be used. A name is checked where the
    runner dials it (it may resolve differently by then)."""
    if settings.proxy is None or settings.proxy_allow_private:
        return None
    host, _ = proxy_host_port(settings.proxy)
    try:
        reason = refusal(host)
    except ValueError:  # a name, not an address
        return None
    return not_allowed("WAPIZ_PROXY", reason, "WAPIZ_PROXY_ALLOW_PRIVATE") if reason else None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with CLI flags (non-None overrides) on top."""
    unknown = unknown_env_vars()
    if unknown:
        raise ConfigError(Text("pengaturan tidak dikenal di environment: {names}",
                               "unknown settings in the environment: {names}")
                          .format(names=", ".join(unknown)))
    values = {k: v for k, v in overrides.items() if v is not None}
    settings = Settings(**values)
    refused = _refused_proxy(settings)
    if refused is not None:
        raise ConfigError(refused)
    return settings
