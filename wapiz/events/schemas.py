from typing import Annotated, Literal, get_args

from pydantic import Field

from wapiz.kit.schemas import ApiInput, ApiModel, text
from wapiz.webhooks.schemas import EventType

EventId = Annotated[str, text(max_length=64)]
# Every type recorded: a webhook's filter's, and its test (a stream shows that too).
StreamEventType = Literal[EventType, "webhook.test"]
MAX_DEVICES = 50


class StreamQuery(ApiInput):
    """Which events a stream carries, and where it starts."""

    device_id: list[Annotated[str, text(max_length=64)]] = Field(
        default_factory=list, max_length=MAX_DEVICES,
        description="Only these devices' events (`deviceId`, repeatable); none: every device "
        "the credential reaches.")
    type: list[StreamEventType] = Field(
        default_factory=list, max_length=len(get_args(StreamEventType)),
        description="Only events of these types (repeatable); none: every type.")
    after: EventId | None = Field(
        None, description="Resume after this event id (`msg_…`): the stored events after it, "
        "then live ones. `Last-Event-ID` wins when both are sent.")


class Overflow(ApiModel):
    """Said as the stream closes because the client fell behind (event `overflow` / a frame
    of type `overflow`); resume from the last id received."""

    type: str = "overflow"
    code: str = "stream_overflow"
    error: str
    last_id: str | None = Field(description="The last event sent before it.")
    acked_id: str | None = Field(
        None, description="WebSocket: the last id the client acknowledged.")
