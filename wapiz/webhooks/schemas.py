import uuid
from typing import Any, Literal

import httpx
from pydantic import AwareDatetime, Field, TypeAdapter, field_validator, model_validator
from pydantic import HttpUrl as _HttpUrl

from wapiz.schemas import ApiInput, ApiModel, Timestamp

EventType = Literal["message.received", "message.updated", "device.status"]
_http_url = TypeAdapter(_HttpUrl)


class WebhookIn(ApiInput):
    """The contract's body (`webhookUrl`), and optionally which events and whether on."""

    webhook_url: str | None = Field(
        None, max_length=2048, description='http(s) URL for events; null or "" clears it.')
    events: list[EventType] | None = Field(
        None, description="Only these types (null: every type). A test is always sent.")
    enabled: bool | None = Field(
        None, description="Turn deliveries on or off (setting a URL turns them on).")

    @model_validator(mode="after")
    def _something_to_change(self) -> "WebhookIn":
        if not self.model_fields_set:
            raise ValueError("give webhookUrl (null or \"\" clears it), events or enabled")
        return self

    @field_validator("webhook_url")
    @classmethod
    def _http_url_or_empty(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        url = url.strip()
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError("webhookUrl must be an http:// or https:// URL")
        _http_url.validate_python(url)
        try:
            httpx.URL(url)  # what the dispatcher will post to
        except httpx.InvalidURL as exc:
            raise ValueError(f"webhookUrl is not a usable URL: {exc}") from None
        return url


class WebhookOut(ApiModel):
    ok: bool = True
    webhook_url: str | None
    secret: str = Field(description="Signs every delivery (Standard Webhooks, whsec_…).")
    events: list[str] | None = Field(description="The types sent (null: every type).")
    enabled: bool
    disabled_reason: str | None = Field(
        None, description="Why deliveries stopped (a 410 Gone from the endpoint).")
    previous_secret_expires_at: Timestamp | None = Field(
        None, description="After a rotation: until then the old secret signs too.")


class AttemptOut(ApiModel):
    attempted_at: Timestamp
    status_code: int | None
    duration_ms: int
    response_body: str | None = Field(description="The first 2 KB of the answer.")
    error: str | None


class DeliveryOut(ApiModel):
    id: uuid.UUID = Field(description="The delivery's id (for redelivery).")
    event_id: str = Field(description="The event's id: the `webhook-id` header.")
    type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp
    finished_at: Timestamp | None
    log: list[AttemptOut] = Field(description="Every attempt, oldest first.")
    payload: dict[str, Any] | None = Field(None, description="The body sent (one delivery).")


class DeliveryPage(ApiModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class RecoverIn(ApiInput):
    since: AwareDatetime = Field(description="Redeliver every failed delivery from then on.")


class RecoverOut(ApiModel):
    ok: bool = True
    recovered: int


class TestOut(ApiModel):
    ok: bool = True
    event_id: str
    delivery_id: uuid.UUID
