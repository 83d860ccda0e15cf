import uuid
from typing import Annotated, Any, Literal

import httpx
from pydantic import Field, StrictBool, TypeAdapter, ValidationError, field_validator
from pydantic import HttpUrl as _HttpUrl

from wapiz.kit.schemas import ApiInput, ApiModel, Moment, Timestamp, text
from wapiz.kit.text import Text
from wapiz.kit.validation import invalid
from wapiz.webhooks.models import DeliveryStatus

# A delivery status as the API describes it: inline, as the enum's values.
DeliveryStatusField = Literal[DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED,
                              DeliveryStatus.FAILED]
EventType = Literal["message.received", "message.updated", "message.edited", "message.revoked",
                    "message.reaction", "chat.updated", "contact.updated", "group.joined",
                    "group.updated", "group.participants", "presence.updated",
                    "call.received", "device.status"]
_http_url = TypeAdapter(_HttpUrl)
WebhookUrl = Annotated[str, text(max_length=2048)]
NOT_HTTP_URL = Text("webhookUrl harus URL http:// atau https://",
                    "webhookUrl must be an http:// or https:// URL")
UNUSABLE_URL = Text("webhookUrl bukan URL yang bisa dipakai", "webhookUrl is not a usable URL")


class WebhookIn(ApiInput):
    """The contract's body (`webhookUrl`), and optionally which events and whether on.
    Only the fields given change (`{}` changes nothing and answers the webhook)."""

    webhook_url: WebhookUrl | None = Field(
        None, description='http(s) URL for events; null or "" clears it.')
    events: list[EventType] | None = Field(
        None, description="Only these types (null: every type). A test is always sent.")
    enabled: StrictBool | None = Field(
        None, description="Turn deliveries on or off (setting a URL turns them on); null "
        "leaves it as it is.")

    @field_validator("webhook_url")
    @classmethod
    def _http_url_or_empty(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        url = url.strip()
        if not url.lower().startswith(("http://", "https://")):
            raise invalid("not_http_url", NOT_HTTP_URL)
        try:
            _http_url.validate_python(url)
            httpx.URL(url)  # what the dispatcher will post to
        except (ValidationError, httpx.InvalidURL):
            raise invalid("invalid_url", UNUSABLE_URL) from None
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
    status: DeliveryStatusField
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
    since: Moment = Field(description="Redeliver every failed delivery from then on.")


class RecoverOut(ApiModel):
    ok: bool = True
    recovered: int


class TestOut(ApiModel):
    ok: bool = True
    event_id: str
    delivery_id: uuid.UUID
