"""A message row as the API shows it: the same model its events carry
(webhooks/events.py), as the HTTP schema."""

import uuid

from wapiz.messages.models import MessageRow
from wapiz.messages.schemas import MessageOut
from wapiz.webhooks.events import message_data


def to_out(message: MessageRow, device_public_id: uuid.UUID,
           waiting: str | None = None) -> MessageOut:
    """The HTTP schema from the event model's fields, by name (its file's description is
    read by attribute), so a client and a webhook receiver see a message alike
    (tests/webhooks/test_payloads.py). The row holds the device's `id`; the message is
    shown with its public `deviceId`."""
    return MessageOut(**vars(message_data(message, device_public_id, waiting)))
