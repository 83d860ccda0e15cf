"""Receipts: our messages moved forward (delivered, then read), never back."""

from sqlalchemy import update

from wapiz.engines.events import Receipt
from wapiz.messages import models
from wapiz.messages.models import Message, MessageStatus
from wapiz.workers.runner.device_rows import DeviceRows

# The status a receipt (the engine's word) moves a message to, and how far along each
# status is: a receipt moves a message forward only, never back.
RECEIPT_STATUS = {"delivered": MessageStatus.DELIVERED, "read": MessageStatus.READ,
                  "played": MessageStatus.READ}
PROGRESS = {MessageStatus.SENDING: 0, MessageStatus.SENT: 0, MessageStatus.DELIVERED: 1,
            MessageStatus.READ: 2}


class Receipts(DeviceRows):
    """Applying a device's receipts to our messages."""

    async def apply_receipt(self, receipt: Receipt) -> int:
        """Move our messages named by the receipt forward (delivered, then read)."""
        status = RECEIPT_STATUS[receipt.status]
        column = Message.delivered_at if status == MessageStatus.DELIVERED else Message.read_at
        earlier = [s for s, rank in PROGRESS.items() if rank < PROGRESS[status]]
        # A message failed as "unknown" (interrupted mid-send) that is delivered did go out.
        earlier.append(MessageStatus.FAILED)
        result = await self.session.execute(
            update(Message)
            .where(Message.device_id == self.device_id, Message.direction == models.OUTBOUND,
                   Message.wa_message_id.in_(receipt.message_ids),
                   Message.status.in_(earlier), self._held)
            .values({Message.status: status, column: receipt.timestamp})
            .returning(Message.id))
        moved = list(result.scalars())
        await self._announce(moved)
        return len(moved)
