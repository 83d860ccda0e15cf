"""Settings: one typed object read from `WAPIZ_*` environment variables (and CLI flags).

Every process (API, runner) builds the same `Settings`; `wapiz serve` hands its flags to the
runner it starts through the environment, so both always agree.
"""

import json
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "WAPIZ_"
EngineName = Literal["whatsmeow", "sandbox"]
SECRET_KEY_FILE = "secret_key"

DEFAULT_PLAN_LIMITS = {"free": 1, "lite": 1, "regular": 3, "pro": 3, "business": 3}


class ConfigError(Exception):
    """Settings that cannot work (an unknown variable, an unusable data dir)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="Address the HTTP API binds to.")
    port: int = Field(8080, ge=1, le=65535, description="Port of the HTTP API.")
    data_dir: Path = Field(Path("data"), description="Where SQLite files and the secret live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; default: SQLite file in the data dir."
    )
    engine: EngineName = Field(
        "whatsmeow", description="WhatsApp engine: whatsmeow (real WhatsApp) or sandbox."
    )
    proxy: str | None = Field(
        None, description="http(s):// or socks5:// proxy for every whatsmeow connection."
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
        default_factory=lambda: [5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Seconds before each retry of a failed webhook delivery (±20 % "
        "jitter), after an immediate first attempt, as JSON.",
    )
    # Bounded above so that "now minus the retention" is always a date.
    webhook_retention_days: int = Field(
        30, ge=1, le=36500, description="Days a finished webhook delivery (succeeded or "
        "failed) and its attempt log are kept after it finished.",
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
        "after which a runner restarts itself to free what the library leaks (default 200, or "
        "20 with the PostgreSQL key store).",
    )
    secret_key: SecretStr | None = Field(
        None, description="Key for token hashing; generated into the data dir when absent."
    )
    cookie_secure: bool = Field(False, description="Mark the wa_token cookie Secure (HTTPS).")
    token_ttl_days: int = Field(30, ge=1, description="Lifetime of a login token.")
    plan_limits: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_PLAN_LIMITS),
        description='Devices allowed per plan, as JSON: {"free": 1, "regular": 3, ...}.',
    )
    login_max_failures: int = Field(5, ge=1, description="Failed logins before throttling.")
    login_lockout_seconds: int = Field(30, ge=1, description="First lockout; doubles after.")
    lease_ttl_seconds: float = Field(10.0, gt=0, description="How long a runner's lease lasts.")
    runner_poll_seconds: float = Field(1.0, gt=0, description="Runner's look for new devices.")
    runner_name: str | None = Field(None, description="Name of this runner (default: host).")
    sandbox_qr_seconds: float = Field(20.0, gt=0, description="Sandbox QR rotation period.")
    auth_cache_seconds: float = Field(
        5.0, ge=0, description="How long an API process trusts a checked token (0: never)."
    )
    status_cache_seconds: float = Field(
        0.5, ge=0, description="How long an API process reuses a device's status (0: never)."
    )
    qr_wait_seconds: float = Field(5.0, ge=0, description="How long /qr waits for a first QR.")
    log_level: Literal["debug", "info", "warning", "error"] = "info"

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
        from wapiz.net import proxy_url  # here: runners need no HTTP client library

        return proxy_url(url) if url else None

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _retries_sane(cls, delays: list[float]) -> list[float]:
        if len(delays) > 20 or any(not 0 < delay <= 7 * 86400 for delay in delays):
            raise ValueError("webhook_retry_schedule: at most 20 delays, each over 0 s and "
                             "at most a week")
        return delays

    @field_validator("plan_limits")
    @classmethod
    def _plans_known(cls, limits: dict[str, int]) -> dict[str, int]:
        if "free" not in limits:
            raise ValueError("plan_limits must define the 'free' plan (new users start on it)")
        if any(limit < 0 for limit in limits.values()):
            raise ValueError("plan limits cannot be negative")
        return {name.lower(): limit for name, limit in limits.items()}

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
        """These settings as `WAPIZ_*` variables, for a child process."""
        values = self.model_dump(mode="json", exclude_none=True)
        env = {}
        for name, value in values.items():
            if name == "secret_key":
                continue
            env[ENV_PREFIX + name.upper()] = value if isinstance(value, str) else json.dumps(value)
        if self.secret_key is not None:
            env[ENV_PREFIX + "SECRET_KEY"] = self.secret_key.get_secret_value()
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
        raise ConfigError(f"{path} is empty: delete it or set WAPIZ_SECRET_KEY")
    return secret


def unknown_env_vars(environ: dict[str, str] | None = None) -> list[str]:
    """`WAPIZ_*` variables that name no setting: most likely a typo the user should hear of."""
    environ = dict(os.environ) if environ is None else environ
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with CLI flags (non-None overrides) on top."""
    unknown = unknown_env_vars()
    if unknown:
        raise ConfigError("unknown settings in the environment: " + ", ".join(unknown))
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)
