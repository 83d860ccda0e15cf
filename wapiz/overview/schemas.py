import datetime as dt

from pydantic import Field

from wapiz.kit.schemas import ApiModel, Timestamp


class DeviceStats(ApiModel):
    days: list[dt.date] = Field(description="The days counted (UTC), oldest first; each list "
                                "below has one entry per day, in this order.")
    sent: list[int] = Field(description="Outbound messages that went out (by `sentAt`).")
    received: list[int] = Field(description="Inbound messages received (by `createdAt`).")
    webhook_succeeded: list[int] = Field(description="Webhook deliveries that finished "
                                         "succeeded that day (by `finishedAt`).")
    webhook_failed: list[int] = Field(description="Webhook deliveries that finished failed.")
    webhook_success_rate: list[float | None] = Field(
        description="succeeded / (succeeded + failed), 0 to 1; null on a day none finished.")
    queue_depth: int = Field(description="Outbound messages still queued or sending.")
    webhook_pending: int = Field(description="Webhook deliveries waiting for an attempt.")
    last_event_at: Timestamp | None = Field(
        description="The latest message (either way) or webhook event of the device.")
