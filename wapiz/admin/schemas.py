import uuid
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from wapiz.accounts.schemas import PlanName
from wapiz.accounts.signup import SignupSource
from wapiz.config import SignupMode
from wapiz.devices.status import StatusField
from wapiz.kit.schemas import ApiInput, ApiModel, Timestamp, text

SearchText = Annotated[str, text(strip=True, max_length=320)]


class AdminUserOut(ApiModel):
    id: uuid.UUID
    email: str
    name: str
    plan: str
    is_admin: bool
    disabled: bool
    device_count: int
    device_limit: int
    created_at: Timestamp


class AdminUserPage(ApiModel):
    items: list[AdminUserOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class AdminUserPatch(ApiInput):
    plan: PlanName | None = Field(None, description="Move the user to this plan.")
    disabled: StrictBool | None = Field(
        None, description="true: the user's tokens and keys stop working at once.")
    is_admin: StrictBool | None = Field(None, description="Make or unmake an admin.")


class AdminDeviceOut(ApiModel):
    id: uuid.UUID
    public_id: uuid.UUID = Field(alias="deviceId")
    label: str
    user_id: uuid.UUID
    owner_email: str
    status: StatusField
    reason: str | None
    created_at: Timestamp


class AdminDevicePage(ApiModel):
    items: list[AdminDeviceOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class DatabaseHealth(ApiModel):
    kind: str = Field(examples=["sqlite", "postgresql"])
    reachable: bool
    latency_ms: float


class RunnerHealth(ApiModel):
    live: int = Field(description="Runners holding at least one live lease.")
    leases: int = Field(description="Devices a live lease covers.")
    devices: int = Field(description="Devices not deleted, across accounts.")


class HealthOut(ApiModel):
    version: str
    engine: str
    database: DatabaseHealth
    runners: RunnerHealth
    queued_messages: int = Field(description="Outbound messages queued or being sent.")
    webhook_backlog: int = Field(description="Webhook deliveries waiting (pending).")
    webhook_due: int = Field(description="Of those, due now: the dispatcher's backlog.")


class OutputOut(ApiModel):
    name: str = Field(description="The output: `nats` or `amqp`.")
    kind: Literal["nats", "amqp"]
    target: str = Field(description="The broker's URL, its password masked.")
    destination: str = Field(description="The JetStream stream, or the topic exchange.")
    state: Literal["connected", "down"] = Field(
        description="connected: a process publishes it and its broker answers; down: the "
        "broker cannot be reached (see `lastError`), or no API process publishes it.")
    publisher: str | None = Field(description="The API process publishing it (its lease).")
    last_error: str | None = Field(description="The latest failure, kept after recovery.")
    last_error_at: Timestamp | None
    published: int = Field(description="Events the broker confirmed, since the output was "
                           "first configured.")
    backlog: int = Field(description="Events not yet published.")
    oldest_unpublished_at: Timestamp | None = Field(
        description="When the oldest of them happened.")
    oldest_unpublished_age_seconds: float | None


class OutputList(ApiModel):
    items: list[OutputOut] = Field(description="Each configured output (none: none is "
                                   "configured).")


class PlanOut(ApiModel):
    name: str
    display_name: str
    device_limit: int


class SettingsOut(ApiModel):
    signup: SignupMode = Field(description="The effective sign-up mode.")
    signup_source: SignupSource = Field(
        description="environment: `WAPIZ_SIGNUP` holds; admin: an admin set it at run time.")
    signup_default: SignupMode = Field(description="`WAPIZ_SIGNUP`: the mode without an "
                                       "admin's choice.")
    signup_changed_at: Timestamp | None
    invite_ttl_days: int
    engine: str
    default_plan: str
    plans: list[PlanOut]


class SettingsPatch(ApiInput):
    signup: SignupMode | None = Field(
        description="The sign-up mode from now on, for every API process at once; null: back "
                    "to `WAPIZ_SIGNUP`.")
