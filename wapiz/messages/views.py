"""A message row as the API shows it: the same model its events carry
(webhooks/events.py), as the HTTP schema."""

from wapiz.messages.models import MessageRow
from wapiz.messages.schemas import MessageOut
from wapiz.webhooks.events import message_data


def to_out(message: MessageRow, waiting: str | None = None) -> MessageOut:
    return MessageOut.model_validate(message_data(message, waiting))
